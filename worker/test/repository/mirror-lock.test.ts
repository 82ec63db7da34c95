import { spawnSync } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { withMirrorLock } from "../../src/repository/mirror-lock";
import { tempDir } from "../../../testkit/temp-dir";
import { waitFor } from "../../../testkit/wait-for";

/** A pid that was alive a moment ago and is not now. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout);
}

describe("the mirror lock", () => {
  it("takes over a lock file left by a worker process that is gone, and removes its own", async () => {
    const path = join(tempDir("fc-lock-"), "m.git");
    writeFileSync(`${path}.lock`, String(deadPid()));
    expect(await withMirrorLock(path, async () => existsSync(`${path}.lock`))).toBe(true);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it("waits while another live process holds the lock file", async () => {
    const path = join(tempDir("fc-lock-"), "m.git");
    // A live holder: this process's parent stands in for another worker on the same work dir.
    writeFileSync(`${path}.lock`, String(process.ppid));
    let entered = false;
    // The waiter polls the lock file: each time it finds the holder alive it sleeps a poll interval
    // (a 100 ms timer). Three such sleeps mean it looked three times and was turned away each time.
    const timers = vi.spyOn(globalThis, "setTimeout");
    const polls = () => timers.mock.calls.filter(([, ms]) => ms === 100).length;
    try {
      const held = withMirrorLock(path, async () => void (entered = true));
      await waitFor(async () => polls() >= 3, { what: "the waiter to find the live holder's lock three times" });
      expect(entered).toBe(false);
      rmSync(`${path}.lock`);
      await held;
      expect(entered).toBe(true);
    } finally {
      timers.mockRestore();
    }
  });

  it("runs holders in this process one at a time, in order", async () => {
    const path = join(tempDir("fc-lock-"), "m.git");
    const order: string[] = [];
    let inside = 0;
    await Promise.all(
      ["a", "b", "c"].map((name) =>
        withMirrorLock(path, async () => {
          inside++;
          expect(inside).toBe(1);
          order.push(name);
          await new Promise((r) => setTimeout(r, 20));
          inside--;
        }),
      ),
    );
    expect(order).toEqual(["a", "b", "c"]);
  });
  it("lets a holder stopped while queued leave at once without letting the next one in early", async () => {
    const path = join(tempDir("fc-lock-"), "m.git");
    let release: (() => void) | undefined;
    const first = withMirrorLock(path, () => new Promise<void>((r) => (release = r)));
    await waitFor(() => release, { what: "the first holder to take the lock" });
    const stop = new AbortController();
    const second = withMirrorLock(path, async () => "second ran", stop.signal);
    let thirdRan = false;
    const third = withMirrorLock(path, async () => void (thirdRan = true));
    stop.abort();
    await expect(second).rejects.toThrow("stopped while waiting for the repository mirror");
    expect(thirdRan).toBe(false);
    release!();
    await first;
    await third;
    expect(thirdRan).toBe(true);
  });
});
