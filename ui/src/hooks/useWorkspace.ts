import { createContext, useContext } from "react";
import type { Workspace } from "../gen/flightcontrol/v1/workspace_pb";

export interface WorkspaceState {
  /** The workspaces the caller may act in (empty when the server would not list them). */
  workspaces: Workspace[];
  /** The one the dashboard acts in; undefined when the server would not list workspaces. */
  current: Workspace | undefined;
  /** Switches to another workspace: every page is reloaded for it. Rejects (and stays) if the server refuses. */
  select: (id: string) => Promise<void>;
}

/** Outside a WorkspaceProvider (a page rendered on its own): the server's own choice of workspace, unnamed. */
const NONE: WorkspaceState = {
  workspaces: [],
  current: undefined,
  select: () => Promise.reject(new Error("No workspace switcher here")),
};

export const WorkspaceContext = createContext<WorkspaceState>(NONE);

export function useWorkspace(): WorkspaceState {
  return useContext(WorkspaceContext);
}
