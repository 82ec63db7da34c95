// The Prism language (as refractor registers it) for a file of a diff, chosen by its name.
// Languages not listed here, or not registered, are shown without highlighting.

const BY_EXTENSION: Record<string, string> = {
  c: "c",
  h: "c",
  cc: "cpp",
  cpp: "cpp",
  cxx: "cpp",
  hpp: "cpp",
  cs: "csharp",
  css: "css",
  scss: "scss",
  sass: "sass",
  less: "less",
  diff: "diff",
  patch: "diff",
  go: "go",
  ini: "ini",
  cfg: "ini",
  java: "java",
  js: "javascript",
  mjs: "javascript",
  cjs: "javascript",
  jsx: "jsx",
  ts: "typescript",
  mts: "typescript",
  cts: "typescript",
  tsx: "tsx",
  json: "json",
  jsonc: "json",
  kt: "kotlin",
  kts: "kotlin",
  lua: "lua",
  md: "markdown",
  markdown: "markdown",
  html: "markup",
  htm: "markup",
  xml: "markup",
  svg: "markup",
  vue: "markup",
  m: "objectivec",
  pl: "perl",
  php: "php",
  py: "python",
  pyi: "python",
  r: "r",
  rb: "ruby",
  rs: "rust",
  sh: "bash",
  bash: "bash",
  zsh: "bash",
  sql: "sql",
  swift: "swift",
  toml: "toml",
  yaml: "yaml",
  yml: "yaml",
  proto: "protobuf",
  tf: "hcl",
  hcl: "hcl",
  graphql: "graphql",
  gql: "graphql",
  vb: "vbnet",
};

const BY_NAME: Record<string, string> = {
  dockerfile: "docker",
  makefile: "makefile",
  gnumakefile: "makefile",
};

/** The language to highlight `path` with, if refractor has it (`registered` asks it). */
export function languageOf(path: string, registered: (lang: string) => boolean): string | undefined {
  const base = (path.split("/").pop() ?? "").toLowerCase();
  const dot = base.lastIndexOf(".");
  const lang = BY_NAME[base] ?? (base.startsWith("dockerfile") ? "docker" : undefined) ?? (dot > 0 ? BY_EXTENSION[base.slice(dot + 1)] : undefined);
  return lang && registered(lang) ? lang : undefined;
}
