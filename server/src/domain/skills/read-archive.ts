import { Parser, type ReadEntry } from "tar";
import yauzl, { type Entry, type ZipFile } from "yauzl";
import { DomainError, invalidArgument } from "../errors";
import { checkedPath, createSizeBudget, type UploadedFile } from "./skill-paths";
import { SKILL_LIMITS } from "./skill-limits";

const WHERE = "archive entry";
/** Entries of any kind (folders included) an archive may hold; more is refused before reading on. */
const MAX_ENTRIES = SKILL_LIMITS.maxFiles * 4;
/** Unix file type bits in a zip entry's external attributes (upper 16 bits) or a tar mode. */
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/** Junk that macOS's Finder adds to zips it makes; not part of anyone's skill. */
const isFinderJunk = (path: string) => path.startsWith("__MACOSX/") || path === ".DS_Store" || path.endsWith("/.DS_Store");

/**
 * The files of a skill archive: a zip (yauzl) or a gzip-compressed tar (tar). Every entry is
 * checked before its bytes are kept: paths stay inside the skill (checkedPath), links of any kind
 * are refused (a link could point out of the skill's folder on the worker), and the count and
 * sizes are counted as the bytes are inflated, never trusted from headers, so a compression bomb
 * stops at the limit. Nothing is written anywhere: a refused archive leaves no trace.
 */
export async function readArchive(bytes: Uint8Array): Promise<UploadedFile[]> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length >= 4 && buf.readUInt32LE(0) === 0x04034b50) return readZip(buf);
  if (buf.length >= 4 && buf.readUInt32LE(0) === 0x06054b50) throw invalidArgument("archive: the zip is empty; it needs at least SKILL.md");
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) return readTarGz(buf);
  throw invalidArgument("archive: not a zip or a gzip-compressed tar (.tar.gz); upload one of those, or the files themselves");
}

const linkRefusal = (path: string) =>
  invalidArgument(`${WHERE} ${JSON.stringify(path)}: links are not accepted (one could point outside the skill); put the file itself in the archive`);

async function readZip(buf: Buffer): Promise<UploadedFile[]> {
  const zip = await new Promise<ZipFile>((resolve, reject) =>
    // Names are decoded here (decodeStrings false) so that every refusal reads the same way.
    yauzl.fromBuffer(buf, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true }, (err, z) =>
      err ? reject(invalidArgument(`archive: not a readable zip (${err.message})`)) : resolve(z!),
    ),
  );
  const budget = createSizeBudget("archive");
  const files: UploadedFile[] = [];
  let entries = 0;
  try {
    for (;;) {
      const entry = await new Promise<Entry | undefined>((resolve, reject) => {
        zip.once("entry", resolve);
        zip.once("end", () => resolve(undefined));
        zip.once("error", reject);
        zip.readEntry();
      });
      zip.removeAllListeners("entry").removeAllListeners("end").removeAllListeners("error");
      if (!entry) break;
      if (++entries > MAX_ENTRIES)
        throw invalidArgument(`archive: more than ${MAX_ENTRIES} entries; a skill holds at most ${SKILL_LIMITS.maxFiles} files`);
      const raw = (entry.fileName as unknown as Buffer).toString("utf8");
      if (raw.includes("\uFFFD")) throw invalidArgument(`${WHERE} ${JSON.stringify(raw)}: the name is not UTF-8; rename the file`);
      const mode = entry.externalFileAttributes >>> 16;
      const type = mode & S_IFMT;
      if (type === S_IFLNK) throw linkRefusal(raw);
      if (raw.endsWith("/") || type === S_IFDIR) {
        checkedPath(raw, WHERE);
        continue;
      }
      if (isFinderJunk(raw)) continue;
      if (type !== 0 && type !== S_IFREG) throw invalidArgument(`${WHERE} ${JSON.stringify(raw)}: only regular files and folders are accepted`);
      const path = checkedPath(raw, WHERE);
      budget.file(path);
      const content = await readStream(await openEntry(zip, entry), path, budget);
      files.push({ path, content, executable: (mode & 0o111) !== 0 });
    }
  } catch (err) {
    throw err instanceof DomainError ? err : invalidArgument(`archive: not a readable zip (${(err as Error).message})`);
  } finally {
    zip.close();
  }
  return files;
}

const openEntry = (zip: ZipFile, entry: Entry) =>
  new Promise<NodeJS.ReadableStream>((resolve, reject) => zip.openReadStream(entry, (err, s) => (err ? reject(err) : resolve(s!))));

async function readStream(stream: NodeJS.ReadableStream, path: string, budget: ReturnType<typeof createSizeBudget>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      budget.bytes(path, size, chunk.length);
      chunks.push(chunk);
    }
  } catch (err) {
    (stream as unknown as { destroy?: () => void }).destroy?.();
    throw err;
  }
  return Buffer.concat(chunks);
}

function readTarGz(buf: Buffer): Promise<UploadedFile[]> {
  return new Promise((resolve, reject) => {
    const budget = createSizeBudget("archive");
    const files: UploadedFile[] = [];
    let entries = 0;
    let failed: unknown;
    const parser = new Parser({ strict: true });
    const fail = (err: unknown) => {
      if (failed !== undefined) return;
      failed = err instanceof DomainError ? err : invalidArgument(`archive: not a readable .tar.gz (${(err as Error).message})`);
      reject(failed);
      parser.abort(failed as Error);
    };
    parser.on("entry", (entry: ReadEntry) => {
      if (failed !== undefined) return entry.resume();
      try {
        if (++entries > MAX_ENTRIES)
          throw invalidArgument(`archive: more than ${MAX_ENTRIES} entries; a skill holds at most ${SKILL_LIMITS.maxFiles} files`);
        const raw = entry.path;
        if (entry.type === "SymbolicLink" || entry.type === "Link") throw linkRefusal(raw);
        if (entry.type === "Directory") {
          checkedPath(raw, WHERE);
          return entry.resume();
        }
        if (entry.type !== "File" && entry.type !== "OldFile" && entry.type !== "ContiguousFile") {
          throw invalidArgument(`${WHERE} ${JSON.stringify(raw)}: only regular files and folders are accepted, not ${entry.type}`);
        }
        if (isFinderJunk(raw) || /(^|\/)\._[^/]*$/.test(raw)) return entry.resume();
        const path = checkedPath(raw, WHERE);
        budget.file(path);
        const chunks: Buffer[] = [];
        let size = 0;
        entry.on("data", (chunk: Buffer) => {
          if (failed !== undefined) return;
          try {
            size += chunk.length;
            budget.bytes(path, size, chunk.length);
            chunks.push(chunk);
          } catch (err) {
            fail(err);
          }
        });
        entry.on("end", () => {
          if (failed === undefined) files.push({ path, content: Buffer.concat(chunks), executable: ((entry.mode ?? 0) & 0o111) !== 0 });
        });
      } catch (err) {
        entry.resume();
        fail(err);
      }
    });
    parser.on("error", fail);
    parser.on("warn", (_code: string, message: string | Error) => fail(new Error(typeof message === "string" ? message : message.message)));
    parser.on("end", () => {
      if (failed === undefined) resolve(files);
    });
    parser.end(buf);
  });
}
