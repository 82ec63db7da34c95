import { createReadStream } from "node:fs";
import { copyFile, mkdir, open, rename, rm, stat, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { assertBlobKey, type BlobStore } from "./blob-store";

/**
 * Blobs as files under `root` (ORCH_DATA_DIR/artifacts by default), spread over 256 folders by the
 * key's last two characters (UUIDv7 keys share their leading, time-ordered ones). A put fsyncs the
 * file, renames it into place and fsyncs the folder, so a crash leaves the whole blob or none.
 */
export function createFsBlobStore(root: string): BlobStore {
  const pathOf = (key: string) => {
    assertBlobKey(key);
    return join(root, key.slice(-2).toLowerCase(), key);
  };
  const missing = (err: unknown) => (err as NodeJS.ErrnoException).code === "ENOENT";

  async function fsync(path: string) {
    const fd = await open(path, "r");
    try {
      await fd.sync();
    } finally {
      await fd.close();
    }
  }

  return {
    description: `files under ${root}`,

    async put(key, tempPath) {
      const target = pathOf(key);
      await mkdir(dirname(target), { recursive: true });
      await fsync(tempPath);
      try {
        await rename(tempPath, target);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EXDEV") throw err;
        // The temp file is on another filesystem: copy next to the target, then rename there.
        const staged = `${target}.partial`;
        await copyFile(tempPath, staged);
        await fsync(staged);
        await rename(staged, target);
        await unlink(tempPath);
      }
      await fsync(dirname(target));
    },

    async get(key) {
      const path = pathOf(key);
      try {
        await stat(path);
      } catch (err) {
        if (missing(err)) return null;
        throw err;
      }
      return createReadStream(path) as Readable;
    },

    async delete(key) {
      await rm(pathOf(key), { force: true });
    },

    async stat(key) {
      try {
        return { size: (await stat(pathOf(key))).size };
      } catch (err) {
        if (missing(err)) return null;
        throw err;
      }
    },
  };
}
