/**
 * Which of the listed workspaces to act in: the one remembered for this identity while it is still
 * listed; with none remembered, the one the server chose for a request without x-workspace-id
 * (`default` for an instance admin); otherwise the first listed. Undefined when nothing is listed.
 */
export function chooseWorkspace(listed: readonly { id: string }[], remembered: string | null, serverChoice: string): string | undefined {
  const has = (id: string | null) => !!id && listed.some((w) => w.id === id);
  if (has(remembered)) return remembered!;
  if (!remembered && has(serverChoice)) return serverChoice;
  return listed[0]?.id;
}
