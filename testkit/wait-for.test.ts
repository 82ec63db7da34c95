import { describe, expect, it } from "vitest";
import { waitFor } from "./wait-for";

describe("waitFor", () => {
  it("resolves with the first truthy value of an async check", async () => {
    let calls = 0;
    const value = await waitFor(
      async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 5));
        return calls >= 3 ? { calls } : undefined;
      },
      { intervalMs: 5, timeoutMs: 2000 },
    );
    expect(value).toEqual({ calls: 3 });
  });

  it("names what it waited for when it times out", async () => {
    await expect(waitFor(() => false, { timeoutMs: 50, intervalMs: 5, what: "the moon" })).rejects.toThrow(
      "timed out after 50 ms waiting for the moon",
    );
  });

  it("ends at once with the error a check throws", async () => {
    const started = Date.now();
    await expect(
      waitFor(
        () => {
          throw new Error("the server exited");
        },
        { timeoutMs: 5000 },
      ),
    ).rejects.toThrow("the server exited");
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
