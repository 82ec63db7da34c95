import type { SkillFileInfo } from "../gen/flightcontrol/v1/skill_pb";
import { buildTree, type TreeNode } from "../lib/file-tree";
import { bytes } from "../lib/format";

/** A skill version's files as a folder tree, with sizes and the execute bit. */
export function SkillFileTree({ files }: { files: SkillFileInfo[] }) {
  return (
    <ul className="px-3 py-2 font-mono text-xs" data-testid="skill-files" aria-label="Files">
      {buildTree(files).map((n) => (
        <Node key={n.path} node={n} />
      ))}
    </ul>
  );
}

function Node({ node }: { node: TreeNode<SkillFileInfo> }) {
  if (!node.file) {
    return (
      <li>
        <div className="py-0.5 text-zinc-500">{node.name}/</div>
        <ul className="ml-2 border-l border-zinc-200 pl-2">
          {node.children.map((c) => (
            <Node key={c.path} node={c} />
          ))}
        </ul>
      </li>
    );
  }
  const f = node.file;
  return (
    <li className="flex items-baseline justify-between gap-3 py-0.5" data-skill-file={f.path} title={`sha256 ${f.sha256}`}>
      <span className="truncate text-zinc-900">
        {node.name}
        {f.executable && (
          <span className="ml-1.5 text-[10px] text-emerald-700" title="installed executable">
            x
          </span>
        )}
      </span>
      <span className="shrink-0 text-zinc-400 tabular-nums">{bytes(f.sizeBytes)}</span>
    </li>
  );
}
