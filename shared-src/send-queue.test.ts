import { describe, expect, it } from "vitest";
import { createSendQueue } from "./send-queue";

/** Everything the iteration yields, and how it ended. */
async function drain<T>(q: AsyncIterable<T>): Promise<{ items: T[]; error?: unknown }> {
  const items: T[] = [];
  try {
    for await (const item of q) items.push(item);
    return { items };
  } catch (error) {
    return { items, error };
  }
}

describe("createSendQueue", () => {
  it("yields pushed items in order, including those pushed while the consumer waits", async () => {
    const q = createSendQueue<number>();
    expect(q.push(1)).toBe(true);
    expect(q.push(2)).toBe(true);
    const it = q[Symbol.asyncIterator]();
    expect(await it.next()).toEqual({ done: false, value: 1 });
    expect(await it.next()).toEqual({ done: false, value: 2 });
    const waiting = it.next();
    q.push(3);
    expect(await waiting).toEqual({ done: false, value: 3 });
  });

  it("counts what the consumer has not taken yet", async () => {
    const q = createSendQueue<string>();
    q.push("a");
    q.push("b");
    expect(q.size).toBe(2);
    await q[Symbol.asyncIterator]().next();
    expect(q.size).toBe(1);
  });

  it("close() ends the iteration after what is queued and refuses later pushes", async () => {
    const q = createSendQueue<number>();
    q.push(1);
    q.push(2);
    q.close();
    expect(q.closed).toBe(true);
    expect(q.push(3)).toBe(false);
    expect(await drain(q)).toEqual({ items: [1, 2] });
  });

  it("close() wakes a consumer that is waiting", async () => {
    const q = createSendQueue<number>();
    const result = drain(q);
    q.close();
    expect(await result).toEqual({ items: [] });
  });

  it("fail() ends the iteration with the first error, dropping what is queued", async () => {
    const q = createSendQueue<number>();
    q.push(1);
    const first = new Error("stream reset");
    q.fail(first);
    q.fail(new Error("later"));
    expect(q.push(2)).toBe(false);
    expect(await drain(q)).toEqual({ items: [], error: first });
  });

  it("fail() wakes a consumer that is waiting", async () => {
    const q = createSendQueue<number>();
    const it = q[Symbol.asyncIterator]();
    expect(q.push(1)).toBe(true);
    await it.next();
    const waiting = it.next();
    const err = new Error("gone");
    q.fail(err);
    await expect(waiting).rejects.toBe(err);
  });
});
