import { ArtifactKind, type Artifact } from "../gen/flightcontrol/v1/artifact_pb";
import { bytes } from "./format";

export type PreviewKind = "markdown" | "image" | "text" | "none";

/** Text and Markdown beyond this are not fetched for a preview: the page would only stall on them. */
export const TEXT_PREVIEW_LIMIT = 512 * 1024;
/** Images are decoded by the browser, but reach it as a data: URL (a third larger), so not too large. */
export const IMAGE_PREVIEW_LIMIT = 8 * 1024 * 1024;

// The browser shows these itself; an SVG in an <img> runs no script.
const IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp", "image/svg+xml"]);
const TEXT_TYPES = new Set([
  "application/json",
  "application/xml",
  "application/yaml",
  "application/x-yaml",
  "application/javascript",
  "application/toml",
  "application/x-sh",
]);

function mediaType(contentType: string): string {
  return (contentType.split(";")[0] ?? "").trim().toLowerCase();
}

/**
 * How the Artifacts tab shows a file inline: by its content type, which the worker sets from the
 * extension and from sniffing (sniffed text carries charset=utf-8), then by the extension.
 */
export function previewKind(a: Pick<Artifact, "name" | "contentType">): PreviewKind {
  const type = mediaType(a.contentType);
  const name = a.name.toLowerCase();
  if (type === "text/markdown" || /\.(md|markdown)$/.test(name)) return "markdown";
  if (IMAGE_TYPES.has(type)) return "image";
  if (type.startsWith("text/") || TEXT_TYPES.has(type) || /charset=utf-8/i.test(a.contentType)) return "text";
  return "none";
}

/** Why an artifact is not previewed inline (the user can still download it), or undefined when it is. */
export function previewUnavailable(a: Pick<Artifact, "name" | "contentType" | "sizeBytes">): string | undefined {
  const kind = previewKind(a);
  if (kind === "none") return `No preview for ${mediaType(a.contentType) || "this type"}; download it to open it.`;
  const limit = kind === "image" ? IMAGE_PREVIEW_LIMIT : TEXT_PREVIEW_LIMIT;
  if (a.sizeBytes > BigInt(limit)) return `Too large to preview (${bytes(a.sizeBytes)}, the limit is ${bytes(limit)}); download it instead.`;
  return undefined;
}

/** What the Artifacts tab lists: session state is internal to follow-ups; the diff first, then by name. */
export function listedArtifacts(all: readonly Artifact[]): Artifact[] {
  const rank = (a: Artifact) => (a.kind === ArtifactKind.CHANGES ? 0 : 1);
  return all.filter((a) => a.kind !== ArtifactKind.SESSION).sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

/** The run's diff (changes.diff), if it kept one. */
export function changesArtifact(all: readonly Artifact[]): Artifact | undefined {
  return all.find((a) => a.kind === ArtifactKind.CHANGES);
}

/** The file name a download is saved under: the artifact's base name (its path may have folders). */
export function downloadName(a: Pick<Artifact, "name">): string {
  return a.name.split("/").pop() || "artifact";
}

export const ARTIFACT_KIND_LABEL: Record<ArtifactKind, string> = {
  [ArtifactKind.UNSPECIFIED]: "file",
  [ArtifactKind.CHANGES]: "changes",
  [ArtifactKind.FILE]: "file",
  [ArtifactKind.SESSION]: "session",
};
