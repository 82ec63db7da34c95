import type { Logger } from "../../logger";
import type { ApiKeyStore } from "../../storage/api-key-store";
import { inBackground } from "../background";
import { systemClock, type Clock } from "../clock";
import { isOutage } from "../dispatch/outage-retry";
import { keyRevoked, KEY_CACHE_TTL_MS } from "./api-keys";
import type { IdentityStreams } from "./identity-streams";
import { SESSION_IDENTITY_PREFIX } from "./sessions";
import type { DomainError } from "../errors";

export interface RevocationSweepDeps {
  streams: IdentityStreams;
  store: Pick<ApiKeyStore, "revokedAmong">;
  /** Of these session stream identities, those whose grant is gone, with the error to end them with (Sessions.staleStreams). */
  staleSessionStreams?: (identities: string[]) => Promise<Array<[string, DomainError]>>;
  log: Logger;
  clock?: Clock;
  intervalMs?: number;
}

/**
 * Revocations made on ANOTHER replica (a key revoked, a session signed out), and any change to a
 * signed-in person's membership (removed, another role, workspace deleted: made anywhere), for
 * streams open on this one. A revocation on this server
 * ends its streams at once (ApiKeys.revoke pushes it to IdentityStreams); another replica's reaches
 * us only through the shared database, so while any stream is open, one timer re-reads which of the
 * open streams' keys are revoked, in one query, every KEY_CACHE_TTL_MS (2 s): the same bound the key
 * cache already gives new requests. A revocation on replica A thus ends streams on replica B within
 * about 2 s (plus one query). This is the only polling in the mechanism, it is one timer per server
 * (not per stream) and it stops when the last stream ends. Postgres LISTEN/NOTIFY would make it
 * push-based, but needs a dedicated connection kept alive through outages, and SQLite deployments
 * (several processes on one file) would still need this.
 */
export function startRevocationSweep(deps: RevocationSweepDeps): () => void {
  const { streams, store, log } = deps;
  const clock = deps.clock ?? systemClock;
  const intervalMs = deps.intervalMs ?? KEY_CACHE_TTL_MS;
  let timer: unknown;
  let busy = false;
  let stopped = false;

  const arm = () => {
    clock.clearTimer(timer);
    timer = busy && !stopped ? clock.setTimer(() => inBackground(log, "check open streams' API keys for revocation", sweep), intervalMs) : undefined;
  };

  async function sweep() {
    sweeping = true;
    try {
      const held = streams.identities();
      const sessions = held.filter((i) => i.startsWith(SESSION_IDENTITY_PREFIX));
      for (const key of await store.revokedAmong(held.filter((i) => !i.startsWith(SESSION_IDENTITY_PREFIX)))) {
        const n = streams.end(key.id, keyRevoked(key.name));
        if (n) log.info({ keyId: key.id, streams: n }, "ended the streams of an API key revoked on another replica");
      }
      if (sessions.length && deps.staleSessionStreams) {
        for (const [identity, err] of await deps.staleSessionStreams(sessions)) {
          const n = streams.end(identity, err);
          if (n) log.info({ streams: n, reason: err.message }, "ended a signed-in person's streams: their session or membership changed");
        }
      }
    } catch (err) {
      // The database is away: the streams stay as they are (their keys were valid when last read) until it is back.
      if (!isOutage(err)) throw err;
    } finally {
      sweeping = false;
      arm();
    }
  }

  let sweeping = false;
  const off = streams.onOccupancy((b) => {
    busy = b;
    // A sweep under way re-arms (or not) when it ends.
    if (!sweeping && (b ? timer === undefined : true)) arm();
  });
  return () => {
    stopped = true;
    off();
    clock.clearTimer(timer);
  };
}
