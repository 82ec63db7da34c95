import { isMap, parseDocument } from "yaml";
import { invalidArgument } from "../errors";

/** SKILL.md's front matter, as the agentskills.io specification defines it. */
export interface SkillFrontMatter {
  name: string;
  description: string;
  license: string;
  compatibility: string;
  metadata: Record<string, string>;
  allowedTools: string[];
}

/** The optional fields, stored with a version (SkillVersionRow.frontMatter). */
export type OptionalFrontMatter = Omit<SkillFrontMatter, "name" | "description">;

/** The fields the specification defines; the reference validator (skills-ref) refuses any other. */
const FIELDS = new Set(["name", "description", "license", "compatibility", "metadata", "allowed-tools"]);
const MAX_NAME = 64;
const MAX_DESCRIPTION = 1024;
const MAX_COMPATIBILITY = 500;

const chars = (s: string) => [...s].length;

/**
 * Parses and checks SKILL.md (https://agentskills.io/specification; the reference validator is
 * skills-ref's validator.py). `path` is where SKILL.md was in the upload and `folder` the folder
 * around it ("" at the top), which the name must match. Every problem is InvalidArgument naming
 * the file and the field.
 */
export function parseSkillMd(text: string, path: string, folder: string): SkillFrontMatter {
  const at = (field: string, why: string) => invalidArgument(`${path}: front matter field "${field}" ${why}`);
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  if (lines[0]?.trim() !== "---")
    throw invalidArgument(`${path}: must start with YAML front matter between "---" lines (name and description at least)`);
  const end = lines.findIndex((l, i) => i > 0 && l.trim() === "---");
  if (end < 0) throw invalidArgument(`${path}: the front matter has no closing "---" line`);
  const doc = parseDocument(lines.slice(1, end).join("\n"), { uniqueKeys: true });
  if (doc.errors.length) throw invalidArgument(`${path}: the front matter is not valid YAML: ${doc.errors[0].message.split("\n")[0]}`);
  if (!isMap(doc.contents)) throw invalidArgument(`${path}: the front matter must be a YAML mapping of fields (name: …, description: …)`);
  const fm = doc.toJS() as Record<string, unknown>;

  const extra = Object.keys(fm).filter((k) => !FIELDS.has(k));
  if (extra.length) {
    throw at(
      extra[0],
      `is not defined by the Agent Skills specification (it allows ${[...FIELDS].join(", ")}); move it under metadata as a string, or remove it`,
    );
  }

  if (!("name" in fm)) throw at("name", "is missing; it is required");
  if (typeof fm.name !== "string" || fm.name.trim() === "") throw at("name", "must be a non-empty string");
  const name = fm.name.trim().normalize("NFKC");
  if (chars(name) > MAX_NAME) throw at("name", `is ${chars(name)} characters; at most ${MAX_NAME}`);
  if (name !== name.toLowerCase()) throw at("name", `${JSON.stringify(name)} must be lowercase`);
  if (!/^[\p{L}\p{N}-]+$/u.test(name)) throw at("name", `${JSON.stringify(name)} may hold only letters, digits and hyphens`);
  if (name.startsWith("-") || name.endsWith("-")) throw at("name", `${JSON.stringify(name)} must not start or end with a hyphen`);
  if (name.includes("--")) throw at("name", `${JSON.stringify(name)} must not contain consecutive hyphens`);
  if (folder && folder.normalize("NFKC") !== name)
    throw at("name", `${JSON.stringify(name)} must match the folder it is in (${JSON.stringify(folder)}); rename one of them`);

  if (!("description" in fm)) throw at("description", "is missing; it is required");
  if (typeof fm.description !== "string" || fm.description.trim() === "") throw at("description", "must be a non-empty string");
  const description = fm.description;
  if (chars(description) > MAX_DESCRIPTION) throw at("description", `is ${chars(description)} characters; at most ${MAX_DESCRIPTION}`);

  let license = "";
  if ("license" in fm) {
    if (typeof fm.license !== "string") throw at("license", "must be a string (a license name, or the name of a bundled license file)");
    license = fm.license;
  }
  let compatibility = "";
  if ("compatibility" in fm) {
    if (typeof fm.compatibility !== "string" || fm.compatibility === "") throw at("compatibility", "must be a non-empty string");
    if (chars(fm.compatibility) > MAX_COMPATIBILITY)
      throw at("compatibility", `is ${chars(fm.compatibility)} characters; at most ${MAX_COMPATIBILITY}`);
    compatibility = fm.compatibility;
  }
  const metadata: Record<string, string> = {};
  if ("metadata" in fm) {
    const m = fm.metadata;
    if (m === null || typeof m !== "object" || Array.isArray(m)) throw at("metadata", "must be a mapping of keys to string values");
    for (const [k, v] of Object.entries(m)) {
      if (typeof v !== "string") throw at(`metadata.${k}`, `must be a string; quote the value (${k}: "${String(v)}")`);
      metadata[k] = v;
    }
  }
  let allowedTools: string[] = [];
  if ("allowed-tools" in fm) {
    const t = fm["allowed-tools"];
    if (typeof t === "string") allowedTools = t.split(/\s+/).filter(Boolean);
    else if (Array.isArray(t) && t.every((x) => typeof x === "string")) allowedTools = t;
    else throw at("allowed-tools", "must be a space-separated string or a list of strings");
  }
  return { name, description, license, compatibility, metadata, allowedTools };
}
