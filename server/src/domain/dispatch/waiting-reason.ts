import { needsSandbox, sandboxes, type Registry } from "./registry";

/**
 * Why a queued run is still waiting, as the connected workers tell it: no worker offers its agent
 * (a worker offers only the agents whose binaries it found, in a supported version), none of those
 * has the labels it requires, none of those sandboxes runs when the run's network is "none", or
 * every one of them is draining. "" when some worker could take it once a slot is free, which is
 * ordinary queueing rather than something to fix. `network` is JobSpec.network, when the caller
 * read the spec. Only the workers of the run's workspace count: no other can take it (and another
 * workspace's fleet is not shown).
 */
export function waitingReason(registry: Registry, workspaceId: string, agent: string, required: Record<string, string>, network = ""): string {
  const sessions = [...registry.sessions.values()].filter((s) => s.workspaceId === workspaceId);
  const offering = sessions.filter((s) => s.agents.has(agent));
  if (offering.length === 0) return `no connected worker offers ${agent}`;
  const wanted = Object.entries(required);
  let matching = offering.filter((s) => wanted.every(([k, v]) => s.labels[k] === v));
  if (matching.length === 0) {
    return `no connected worker that offers ${agent} has the labels ${wanted.map(([k, v]) => `${k}=${v}`).join(", ")}`;
  }
  if (needsSandbox(network)) {
    matching = matching.filter(sandboxes);
    if (matching.length === 0) {
      const which = wanted.length ? `offers ${agent} with those labels` : `offers ${agent}`;
      return `no connected worker that ${which} sandboxes runs (network: none needs ORCH_SANDBOX=bubblewrap or auto with a working bubblewrap)`;
    }
  }
  if (matching.every((s) => s.draining)) return `every connected worker that offers ${agent} is draining`;
  return "";
}
