import { describe, expect, it } from "vitest";
import { createRegistry, matches } from "../../../src/domain/dispatch/registry";
import { waitingReason } from "../../../src/domain/dispatch/waiting-reason";
import { DEFAULT_WORKSPACE_ID } from "../../../src/storage/entities";
import { session } from "./fakes";

// JobSpec.network "none" needs a worker that sandboxes its runs (Hello.sandbox); other runs go anywhere.
describe('matching runs with network "none"', () => {
  it("only a sandboxing worker matches one; every worker matches the others", () => {
    const plain = session("plain", { sandbox: "" });
    const boxed = session("boxed", { sandbox: "bubblewrap" });
    expect(matches(plain, "shell", [], "none")).toBe(false);
    expect(matches(boxed, "shell", [], "none")).toBe(true);
    for (const network of ["", "full"]) {
      expect(matches(plain, "shell", [], network)).toBe(true);
      expect(matches(boxed, "shell", [], network)).toBe(true);
    }
    // Labels and agent still count.
    expect(matches(boxed, "codex", [], "none")).toBe(false);
    expect(matches(boxed, "shell", [["gpu", "yes"]], "none")).toBe(false);
  });

  it("the waiting reason names the missing sandbox after the agent and labels, and says nothing once one connects", () => {
    const registry = createRegistry();
    registry.add(session("plain", { labels: { zone: "a" } }));
    expect(waitingReason(registry, DEFAULT_WORKSPACE_ID, "shell", {}, "none")).toBe(
      "no connected worker that offers shell sandboxes runs (network: none needs ORCH_SANDBOX=bubblewrap or auto with a working bubblewrap)",
    );
    expect(waitingReason(registry, DEFAULT_WORKSPACE_ID, "shell", { zone: "a" }, "none")).toBe(
      "no connected worker that offers shell with those labels sandboxes runs (network: none needs ORCH_SANDBOX=bubblewrap or auto with a working bubblewrap)",
    );
    expect(waitingReason(registry, DEFAULT_WORKSPACE_ID, "shell", {}, "")).toBe("");
    expect(waitingReason(registry, DEFAULT_WORKSPACE_ID, "goose", {}, "none")).toBe("no connected worker offers goose");
    registry.add(session("boxed", { sandbox: "bubblewrap", labels: { zone: "b" } }));
    expect(waitingReason(registry, DEFAULT_WORKSPACE_ID, "shell", {}, "none")).toBe("");
    expect(waitingReason(registry, DEFAULT_WORKSPACE_ID, "shell", { zone: "a" }, "none")).toMatch(/sandboxes runs/);
  });
});
