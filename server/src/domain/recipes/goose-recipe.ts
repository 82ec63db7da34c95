import { create } from "@bufbuild/protobuf";
import { parse, stringify } from "yaml";
import {
  JobSpecSchema,
  McpExtensionSchema,
  ParameterSchema,
  ParameterType,
  type JobSpec,
  type McpExtension,
  type Parameter,
} from "../../gen/flightcontrol/v1/spec_pb";
import { failedPrecondition, invalidArgument } from "../errors";

/**
 * Goose recipes (block/goose crates/goose/src/recipe; the fields as its recipe reference documents
 * them) to and from goose jobs. A recipe maps onto a job as:
 *   title → name, description → description, instructions → system instructions, prompt → prompt,
 *   parameters (key, input_type, requirement, default, options) → parameters,
 *   extensions: builtin → builtins, stdio (cmd, args, envs, timeout) and streamable_http (uri,
 *   headers, timeout) → MCP extensions; none listed → goose's default "developer" builtin,
 *   settings.goose_provider / goose_model → provider / model.
 * What would change what the run does and has no place in a job (file parameters, retry, response,
 * sub_recipes, temperature, env_keys, other extension types) is refused, naming the field, rather
 * than dropped. activities, author and version are Desktop or informational fields and are ignored.
 */
export interface RecipeJob {
  name: string;
  description: string;
  spec: JobSpec;
}

const IGNORED = new Set(["version", "activities", "author", "context"]);
const KNOWN = new Set(["title", "description", "instructions", "prompt", "parameters", "extensions", "settings", ...IGNORED]);
const DEFAULT_BUILTINS = ["developer"];

const TYPES: Record<string, ParameterType> = {
  string: ParameterType.STRING,
  date: ParameterType.STRING,
  number: ParameterType.NUMBER,
  boolean: ParameterType.BOOLEAN,
  select: ParameterType.ENUM,
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
const str = (v: unknown, field: string): string => {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  throw invalidArgument(`recipe: ${field} must be a string`);
};

export function recipeToJob(text: string): RecipeJob {
  let doc: unknown;
  try {
    // JSON is YAML: one parser reads both forms.
    doc = parse(text);
  } catch (err) {
    throw invalidArgument(`recipe: not valid YAML or JSON: ${(err as Error).message.split("\n")[0]}`);
  }
  // goose Desktop saves recipes wrapped as {name, recipe: {...}, isGlobal, ...}.
  if (isObj(doc) && isObj(doc.recipe)) doc = doc.recipe;
  if (!isObj(doc)) throw invalidArgument("recipe: must be a mapping with title, description and prompt");
  for (const key of Object.keys(doc)) {
    if (!KNOWN.has(key)) throw invalidArgument(`recipe: field "${key}" has no equivalent in a Flight Control job; remove it to import the recipe`);
  }
  if (doc.title === undefined) throw invalidArgument("recipe: title is missing; it is required");
  if (doc.description === undefined) throw invalidArgument("recipe: description is missing; it is required");
  if (doc.prompt === undefined || str(doc.prompt, "prompt") === "") {
    throw invalidArgument("recipe: prompt is missing; Flight Control runs goose headless, where a recipe needs a prompt");
  }
  const spec = create(JobSpecSchema, {
    agent: "goose",
    prompt: str(doc.prompt, "prompt"),
    systemInstructions: doc.instructions === undefined ? "" : str(doc.instructions, "instructions"),
  });
  if (doc.parameters !== undefined) {
    if (!Array.isArray(doc.parameters)) throw invalidArgument("recipe: parameters must be a list");
    spec.parameters = doc.parameters.map((p, i) => parameterFromRecipe(p, i));
  }
  if (doc.extensions === undefined) spec.builtins = [...DEFAULT_BUILTINS];
  else {
    if (!Array.isArray(doc.extensions)) throw invalidArgument("recipe: extensions must be a list");
    doc.extensions.forEach((e, i) => extensionFromRecipe(e, i, spec));
  }
  if (doc.settings !== undefined) {
    if (!isObj(doc.settings)) throw invalidArgument("recipe: settings must be a mapping");
    for (const [key, value] of Object.entries(doc.settings)) {
      if (key === "goose_provider") spec.provider = str(value, "settings.goose_provider");
      else if (key === "goose_model") spec.model = str(value, "settings.goose_model");
      else throw invalidArgument(`recipe: settings.${key} has no equivalent in a Flight Control job; remove it to import the recipe`);
    }
  }
  return { name: str(doc.title, "title"), description: str(doc.description, "description"), spec };
}

function parameterFromRecipe(p: unknown, i: number): Parameter {
  const at = `parameters[${i}]`;
  if (!isObj(p)) throw invalidArgument(`recipe: ${at} must be a mapping`);
  const name = str(p.key, `${at}.key`);
  const inputType = p.input_type === undefined ? "string" : str(p.input_type, `${at}.input_type`);
  const type = TYPES[inputType];
  if (type === undefined) {
    throw invalidArgument(
      `recipe: parameter "${name}": input_type ${inputType} is not supported (file parameters read a file on the machine that runs goose); use string, number, boolean, date or select`,
    );
  }
  const requirement = p.requirement === undefined ? "required" : str(p.requirement, `${at}.requirement`);
  if (!["required", "optional", "user_prompt"].includes(requirement)) {
    throw invalidArgument(`recipe: parameter "${name}": requirement must be required, optional or user_prompt`);
  }
  let choices: string[] = [];
  if (p.options !== undefined) {
    if (!Array.isArray(p.options)) throw invalidArgument(`recipe: parameter "${name}": options must be a list`);
    choices = p.options.map((o, j) => str(o, `${at}.options[${j}]`));
  }
  return create(ParameterSchema, {
    name,
    type,
    description: p.description === undefined ? "" : str(p.description, `${at}.description`),
    // A run has nobody to prompt: user_prompt parameters must be given, like required ones.
    required: requirement !== "optional",
    defaultValue: requirement === "optional" && p.default !== undefined && p.default !== null ? str(p.default, `${at}.default`) : "",
    choices,
  });
}

function extensionFromRecipe(e: unknown, i: number, spec: JobSpec): void {
  const at = `extensions[${i}]`;
  if (!isObj(e)) throw invalidArgument(`recipe: ${at} must be a mapping`);
  const type = str(e.type, `${at}.type`);
  const name = str(e.name, `${at}.name`);
  if (type === "builtin") {
    spec.builtins.push(name);
    return;
  }
  if (e.env_keys !== undefined && (!Array.isArray(e.env_keys) || e.env_keys.length)) {
    throw invalidArgument(
      `recipe: extension "${name}": env_keys are read from goose's keyring, which runs here do not have; remove env_keys and attach a credential holding those variables to the job`,
    );
  }
  const timeoutSeconds = e.timeout === undefined || e.timeout === null ? 0 : Number(e.timeout);
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 0)
    throw invalidArgument(`recipe: extension "${name}": timeout must be a whole number of seconds`);
  if (type === "stdio") {
    const args = e.args === undefined ? [] : e.args;
    if (!Array.isArray(args)) throw invalidArgument(`recipe: extension "${name}": args must be a list`);
    const env: Record<string, string> = {};
    if (e.envs !== undefined) {
      if (!isObj(e.envs)) throw invalidArgument(`recipe: extension "${name}": envs must be a mapping`);
      for (const [k, v] of Object.entries(e.envs)) env[k] = str(v, `${at}.envs.${k}`);
    }
    spec.extensions.push(
      create(McpExtensionSchema, {
        name,
        timeoutSeconds,
        transport: { case: "stdio", value: { command: str(e.cmd, `${at}.cmd`), args: args.map((a, j) => str(a, `${at}.args[${j}]`)), env } },
      }),
    );
    return;
  }
  if (type === "streamable_http") {
    const headers: Record<string, string> = {};
    if (e.headers !== undefined) {
      if (!isObj(e.headers)) throw invalidArgument(`recipe: extension "${name}": headers must be a mapping`);
      for (const [k, v] of Object.entries(e.headers)) headers[k] = str(v, `${at}.headers.${k}`);
    }
    spec.extensions.push(
      create(McpExtensionSchema, { name, timeoutSeconds, transport: { case: "streamableHttp", value: { url: str(e.uri, `${at}.uri`), headers } } }),
    );
    return;
  }
  throw invalidArgument(`recipe: extension "${name}": type ${type} is not supported; use stdio, streamable_http or builtin`);
}

const RECIPE_TYPES: Record<number, string> = {
  [ParameterType.STRING]: "string",
  [ParameterType.NUMBER]: "number",
  [ParameterType.BOOLEAN]: "boolean",
  [ParameterType.ENUM]: "select",
};

/**
 * A goose job as a recipe (YAML). Only what a recipe can say is written: a job's repository,
 * setup script, env, skills, credentials and limits stay behind. MCP values come as the caller
 * passes them (redacted: sealed literals read "***").
 */
export function jobToRecipe(job: RecipeJob): string {
  const { spec } = job;
  if (spec.agent !== "goose") throw failedPrecondition(`this job runs ${spec.agent}; only goose jobs can be exported as goose recipes`);
  const recipe: Obj = { version: "1.0.0", title: job.name, description: job.description || job.name };
  if (spec.systemInstructions) recipe.instructions = spec.systemInstructions;
  recipe.prompt = spec.prompt;
  if (spec.parameters.length) {
    recipe.parameters = spec.parameters.map((p) => ({
      key: p.name,
      input_type: RECIPE_TYPES[p.type] ?? "string",
      requirement: p.required ? "required" : "optional",
      description: p.description,
      ...(p.required ? {} : { default: p.defaultValue || (p.type === ParameterType.BOOLEAN ? "false" : "") }),
      ...(p.type === ParameterType.ENUM ? { options: p.choices } : {}),
    }));
  }
  const defaultOnly =
    !spec.extensions.length && spec.builtins.length === DEFAULT_BUILTINS.length && spec.builtins.every((b, i) => b === DEFAULT_BUILTINS[i]);
  if (!defaultOnly) recipe.extensions = [...spec.builtins.map((name) => ({ type: "builtin", name })), ...spec.extensions.map(extensionToRecipe)];
  const settings: Obj = {};
  if (spec.provider) settings.goose_provider = spec.provider;
  if (spec.model) settings.goose_model = spec.model;
  if (Object.keys(settings).length) recipe.settings = settings;
  return stringify(recipe, { lineWidth: 0 });
}

function extensionToRecipe(ext: McpExtension): Obj {
  const timeout = ext.timeoutSeconds ? { timeout: ext.timeoutSeconds } : {};
  const t = ext.transport;
  if (t.case === "stdio")
    return {
      type: "stdio",
      name: ext.name,
      cmd: t.value.command,
      args: t.value.args,
      ...(Object.keys(t.value.env).length ? { envs: t.value.env } : {}),
      ...timeout,
    };
  if (t.case === "streamableHttp")
    return {
      type: "streamable_http",
      name: ext.name,
      uri: t.value.url,
      ...(Object.keys(t.value.headers).length ? { headers: t.value.headers } : {}),
      ...timeout,
    };
  return { type: "stdio", name: ext.name };
}
