// A skill's files arrive as a flat, path-ordered list; the detail page shows them as a tree.

export interface TreeNode<T> {
  name: string;
  /** Full path of the folder or file. */
  path: string;
  /** Undefined for a folder. */
  file?: T;
  children: TreeNode<T>[];
}

/** Folders first, then files, each by name. */
export function buildTree<T extends { path: string }>(files: readonly T[]): TreeNode<T>[] {
  const root: TreeNode<T> = { name: "", path: "", children: [] };
  for (const f of files) {
    const parts = f.path.split("/").filter(Boolean);
    let node = root;
    parts.forEach((part, i) => {
      const path = parts.slice(0, i + 1).join("/");
      if (i === parts.length - 1) {
        node.children.push({ name: part, path, file: f, children: [] });
        return;
      }
      let dir = node.children.find((c) => !c.file && c.name === part);
      if (!dir) {
        dir = { name: part, path, children: [] };
        node.children.push(dir);
      }
      node = dir;
    });
  }
  const sort = (nodes: TreeNode<T>[]) => {
    nodes.sort((a, b) => (!a.file !== !b.file ? (a.file ? 1 : -1) : a.name.localeCompare(b.name)));
    for (const n of nodes) sort(n.children);
  };
  sort(root.children);
  return root.children;
}
