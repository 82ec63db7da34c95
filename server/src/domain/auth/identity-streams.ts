import type { DomainError } from "../errors";

/**
 * The open streams of each identity (today an API key's id; a user or a login session later), so
 * that when an identity's grants change (its key is revoked; later a workspace membership removed or
 * a session expired) every stream it holds ends at once. A stream is authorised when it opens, and
 * nothing re-checks it afterwards: this is what ends a watch or a worker session that the identity
 * may no longer hold. Whoever changes the grants calls end(), which pushes the end to each stream:
 * nothing here polls.
 */
export function createIdentityStreams() {
  const byIdentity = new Map<string, Set<(err: DomainError) => void>>();
  const occupancy = new Set<(busy: boolean) => void>();

  function end(identity: string, err: DomainError): number {
    const ends = byIdentity.get(identity);
    if (!ends) return 0;
    byIdentity.delete(identity);
    for (const fn of ends) fn(err);
    if (!byIdentity.size) for (const fn of occupancy) fn(false);
    return ends.size;
  }

  return {
    /**
     * Registers a stream held by `identity`; `end` is called once, with the error the stream must end
     * with, if the identity's grants change while it is open. Returns the function that forgets the
     * stream, to call when it ends however it ends.
     */
    track(identity: string, end: (err: DomainError) => void): () => void {
      let ends = byIdentity.get(identity);
      if (!ends) byIdentity.set(identity, (ends = new Set()));
      const wasIdle = byIdentity.size === 1 && ends.size === 0;
      ends.add(end);
      if (wasIdle) for (const fn of occupancy) fn(true);
      return () => {
        if (!ends.delete(end) || ends.size) return;
        byIdentity.delete(identity);
        if (!byIdentity.size) for (const fn of occupancy) fn(false);
      };
    },

    /** The identity's grants changed: ends every stream it holds with `err`. Returns how many. */
    end,

    /** Ends the streams of every identity `match` accepts (a session's, whatever workspace); returns how many. */
    endWhere(match: (identity: string) => boolean, err: DomainError): number {
      let n = 0;
      for (const identity of [...byIdentity.keys()]) if (match(identity)) n += end(identity, err);
      return n;
    },

    /** The identities holding at least one open stream. */
    identities: (): string[] => [...byIdentity.keys()],
    streams: (identity: string): number => byIdentity.get(identity)?.size ?? 0,

    /** Called with true when the first stream opens and false when the last one ends (to run a sweep only while needed). */
    onOccupancy(fn: (busy: boolean) => void): () => void {
      occupancy.add(fn);
      if (byIdentity.size) fn(true);
      return () => void occupancy.delete(fn);
    },
  };
}

export type IdentityStreams = ReturnType<typeof createIdentityStreams>;
