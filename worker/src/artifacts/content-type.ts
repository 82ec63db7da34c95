import { extname } from "node:path";

const TYPES: Record<string, string> = {
  ".txt": "text/plain",
  ".log": "text/plain",
  ".md": "text/markdown",
  ".csv": "text/csv",
  ".diff": "text/x-diff",
  ".patch": "text/x-diff",
  ".json": "application/json",
  ".xml": "application/xml",
  ".yaml": "application/yaml",
  ".yml": "application/yaml",
  ".html": "text/html",
  ".htm": "text/html",
  ".css": "text/css",
  ".js": "text/javascript",
  ".ts": "text/plain",
  ".py": "text/x-python",
  ".sh": "text/x-shellscript",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".svg": "image/svg+xml",
  ".pdf": "application/pdf",
  ".zip": "application/zip",
  ".gz": "application/gzip",
  ".tar": "application/x-tar",
  ".wasm": "application/wasm",
};

/**
 * The Content-Type an artifact is served with: by extension, then by what content sniffing found.
 * Text gets charset=utf-8 (sniffing proved it is UTF-8); unknown binary is application/octet-stream.
 */
export function contentTypeOf(name: string, isText: boolean): string {
  const known = TYPES[extname(name).toLowerCase()];
  if (known) return isText && !known.includes("charset") ? `${known}; charset=utf-8` : known;
  return isText ? "text/plain; charset=utf-8" : "application/octet-stream";
}
