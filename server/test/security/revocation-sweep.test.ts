/**
 * The mechanism behind finding 1, on a fake clock: open streams are registered by key, a revocation
 * ends exactly that key's streams, and the sweep that carries other replicas' revocations runs one
 * query per interval only while some stream is open.
 */
import { pino } from "pino";
import { describe, expect, it, vi } from "vitest";
import { createIdentityStreams } from "../../src/domain/auth/identity-streams";
import { startRevocationSweep } from "../../src/domain/auth/revocation-sweep";
import type { DomainError } from "../../src/domain/errors";
import { fakeClock } from "../../../testkit/fake-clock";

const silent = pino({ level: "silent" });

describe("identity streams and the revocation sweep", () => {
  it("end() ends every stream of the identity, and only those", () => {
    const streams = createIdentityStreams();
    const ended: string[] = [];
    streams.track("k1", () => ended.push("k1 a"));
    streams.track("k1", () => ended.push("k1 b"));
    const untrack = streams.track("k2", () => ended.push("k2"));
    expect(streams.end("k1", {} as DomainError)).toBe(2);
    expect(ended).toEqual(["k1 a", "k1 b"]);
    expect(streams.identities()).toEqual(["k2"]);
    untrack();
    expect(streams.end("k2", {} as DomainError)).toBe(0);
  });

  it("sweeps every 2 s while a stream is open, ending the streams of keys revoked elsewhere, and stops when none is", async () => {
    const clock = fakeClock(0);
    const streams = createIdentityStreams();
    const revoked = new Set<string>();
    const revokedAmong = vi.fn(async (ids: string[]) => ids.filter((id) => revoked.has(id)).map((id) => ({ id, name: `key ${id}` })));
    const stop = startRevocationSweep({ streams, store: { revokedAmong }, log: silent, clock });

    await clock.advance(10_000);
    expect(revokedAmong).not.toHaveBeenCalled();
    expect(clock.timers).toEqual([]);

    const errors: DomainError[] = [];
    const untrackKept = streams.track("kept", (e) => errors.push(e));
    streams.track("gone", (e) => errors.push(e));
    await clock.advance(2_000);
    expect(revokedAmong).toHaveBeenCalledTimes(1);
    expect(revokedAmong.mock.calls[0][0].sort()).toEqual(["gone", "kept"]);
    expect(errors).toEqual([]);

    revoked.add("gone");
    await clock.advance(2_000);
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    expect(errors[0].kind).toBe("unauthenticated");
    expect(errors[0].message).toMatch(/API key was revoked \(key "key gone"\)/);
    expect(streams.identities()).toEqual(["kept"]);

    untrackKept();
    await clock.advance(2_000);
    const calls = revokedAmong.mock.calls.length;
    await clock.advance(10_000);
    expect(revokedAmong.mock.calls.length).toBe(calls);
    expect(clock.timers).toEqual([]);
    stop();
  });
});
