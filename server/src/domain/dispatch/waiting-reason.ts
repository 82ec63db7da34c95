import type { Registry } from "./registry";

/**
 * Why a queued run is still waiting, as the connected workers tell it: no worker offers its agent
 * (a worker offers only the agents whose binaries it found, in a supported version), none of those
 * has the labels it requires, or every one of them is draining. "" when some worker could take it
 * once a slot is free, which is ordinary queueing rather than something to fix. Only the workers of
 * the run's workspace count: no other can take it (and another workspace's fleet is not shown).
 */
export function waitingReason(registry: Registry, workspaceId: string, agent: string, required: Record<string, string>): string {
  const sessions = [...registry.sessions.values()].filter((s) => s.workspaceId === workspaceId);
  const offering = sessions.filter((s) => s.agents.has(agent));
  if (offering.length === 0) return `no connected worker offers ${agent}`;
  const wanted = Object.entries(required);
  const matching = offering.filter((s) => wanted.every(([k, v]) => s.labels[k] === v));
  if (matching.length === 0) {
    return `no connected worker that offers ${agent} has the labels ${wanted.map(([k, v]) => `${k}=${v}`).join(", ")}`;
  }
  if (matching.every((s) => s.draining)) return `every connected worker that offers ${agent} is draining`;
  return "";
}
