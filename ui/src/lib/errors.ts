import { Code, ConnectError } from "@connectrpc/connect";
import { ViolationsSchema, type FieldPath } from "../gen/buf/validate/validate_pb";

export interface FieldViolation {
  /** Dotted proto path, e.g. `spec.extensions[0].stdio.command` or `spec.required_labels["gpu"]`. */
  path: string;
  message: string;
}

export interface ParsedError {
  code: Code | undefined;
  /** A sentence for a banner; empty when every problem belongs to a field. */
  message: string;
  violations: FieldViolation[];
}

export function fieldPathToString(path: FieldPath | undefined): string {
  if (!path) return "";
  let out = "";
  for (const el of path.elements) {
    out += out ? `.${el.fieldName}` : el.fieldName;
    switch (el.subscript.case) {
      case "index":
        out += `[${el.subscript.value.toString()}]`;
        break;
      case "stringKey":
        out += `[${JSON.stringify(el.subscript.value)}]`;
        break;
      case "boolKey":
      case "intKey":
      case "uintKey":
        out += `[${String(el.subscript.value)}]`;
        break;
    }
  }
  return out;
}

// Older servers only put the protovalidate text in the message:
//   "validation error:\n - spec.prompt: value length must be at least 1 characters [string.min_len]"
const TEXT_VIOLATION = /^\s*-\s*([A-Za-z_][\w.[\]"-]*):\s*(.+?)(?:\s*\[[\w.]+\])?\s*$/;

function violationsFromText(message: string): FieldViolation[] {
  const out: FieldViolation[] = [];
  for (const line of message.split("\n")) {
    const m = TEXT_VIOLATION.exec(line);
    if (m?.[1] && m[2]) out.push({ path: m[1], message: m[2] });
  }
  return out;
}

const CODE_TEXT: Partial<Record<Code, string>> = {
  [Code.AlreadyExists]: "Already exists",
  [Code.NotFound]: "Not found",
  [Code.PermissionDenied]: "Permission denied",
  [Code.Unauthenticated]: "Not signed in",
  [Code.Unavailable]: "Server unavailable",
  [Code.ResourceExhausted]: "Too large",
  [Code.FailedPrecondition]: "Not possible right now",
};

export function parseError(err: unknown): ParsedError {
  if (err == null) return { code: undefined, message: "", violations: [] };
  const ce = ConnectError.from(err);
  let violations: FieldViolation[] = [];
  if (ce.code === Code.InvalidArgument) {
    for (const detail of ce.findDetails(ViolationsSchema)) {
      for (const v of detail.violations) {
        violations.push({ path: fieldPathToString(v.field), message: v.message || v.ruleId });
      }
    }
    if (violations.length === 0) violations = violationsFromText(ce.rawMessage);
  }
  let message = "";
  if (violations.length === 0) {
    const prefix = CODE_TEXT[ce.code];
    message =
      prefix && !ce.rawMessage.toLowerCase().startsWith(prefix.toLowerCase())
        ? `${prefix}: ${ce.rawMessage}`
        : ce.rawMessage || prefix || "Request failed";
  }
  return { code: ce.code, message, violations };
}

export function errorMessage(err: unknown): string {
  const p = parseError(err);
  if (p.message) return p.message;
  return p.violations.map((v) => (v.path ? `${v.path}: ${v.message}` : v.message)).join("; ");
}

export function isCode(err: unknown, code: Code): boolean {
  return err instanceof ConnectError && err.code === code;
}

/**
 * Field errors for one form. `prefix` matching lets a map or list field (labels, extensions)
 * collect violations on its entries; `claimed` lists the prefixes the form renders so the rest
 * can still be shown in the banner.
 */
export class FieldErrors {
  constructor(readonly parsed: ParsedError) {}

  static of(err: unknown): FieldErrors {
    return new FieldErrors(parseError(err));
  }

  /** Problems the form found itself before sending, shown exactly like the server's. */
  static fromViolations(violations: FieldViolation[]): FieldErrors {
    return new FieldErrors({ code: Code.InvalidArgument, message: "", violations });
  }

  /** Violations exactly at `path`, or inside it when `nested`. */
  get(path: string, nested = false): string | undefined {
    const hits = this.parsed.violations.filter((v) => matches(v.path, path, nested));
    if (hits.length === 0) return undefined;
    return hits.map((v) => (v.path !== path ? `${v.path.slice(path.length).replace(/^\./, "")}: ${v.message}` : v.message)).join("; ");
  }

  /** Violations the form has no field for, for the banner. */
  unclaimed(claimed: readonly string[]): FieldViolation[] {
    return this.parsed.violations.filter((v) => !claimed.some((c) => matches(v.path, c, true)));
  }
}

function matches(violationPath: string, path: string, nested: boolean): boolean {
  if (violationPath === path) return true;
  if (!nested) return false;
  if (!violationPath.startsWith(path)) return false;
  const next = violationPath.charAt(path.length);
  return next === "." || next === "[";
}
