import { gzipSync, crc32 } from "node:zlib";
import { Header } from "tar";

/** An entry of a test archive: a file (content), a folder (dir) or a symbolic link (link target). */
export interface TestEntry {
  path: string;
  content?: string | Buffer;
  mode?: number;
  dir?: boolean;
  link?: string;
}

const bytes = (c: string | Buffer | undefined) => (typeof c === "string" ? Buffer.from(c) : (c ?? Buffer.alloc(0)));

/**
 * A zip of stored (uncompressed) entries, written by hand so tests can make the hostile ones no
 * archiver would (absolute names, "..", symbolic links): local headers, then the central directory.
 */
export function zipOf(entries: TestEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.path);
    const data = e.link !== undefined ? Buffer.from(e.link) : bytes(e.content);
    const crc = crc32(data);
    const type = e.link !== undefined ? 0o120000 : e.dir ? 0o040000 : 0o100000;
    const mode = type | (e.mode ?? (e.dir ? 0o755 : 0o644));
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, data);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix: external attributes carry the mode
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x800, 8);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((mode << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** A gzip-compressed tar with the entries as given (tar's own Header writes each header block). */
export function tarGzOf(entries: TestEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = e.link !== undefined || e.dir ? Buffer.alloc(0) : bytes(e.content);
    const header = new Header({
      path: e.path,
      mode: e.mode ?? (e.dir ? 0o755 : 0o644),
      size: data.length,
      type: e.link !== undefined ? "SymbolicLink" : e.dir ? "Directory" : "File",
      linkpath: e.link,
      mtime: new Date(0),
      uid: 0,
      gid: 0,
    });
    const block = Buffer.alloc(512);
    header.encode(block, 0);
    blocks.push(block, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

/** A valid SKILL.md for `name`. */
export const skillMd = (name: string, description = `Does ${name} things. Use when a test asks for ${name}.`, extra = "") =>
  `---\nname: ${name}\ndescription: ${description}\n${extra}---\n\n# ${name}\n\nRun scripts/run.sh.\n`;
