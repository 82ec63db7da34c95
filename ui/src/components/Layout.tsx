import { useState } from "react";
import { NavLink, Outlet } from "react-router";
import { useAuth } from "../hooks/useAuth";
import type { Permission } from "../lib/permissions";
import { ROLE_LABEL } from "../lib/permissions";
import { Brand } from "./Brand";
import { Button } from "./Button";
import { Icon, type IconName } from "./Icon";
import { SignOutButton } from "./SignOutButton";
import { SignOutEverywhereButton } from "./SignOutEverywhereButton";
import { WorkspaceSwitcher } from "./WorkspaceSwitcher";

interface NavItem {
  to: string;
  label: string;
  icon: IconName;
  needs?: Permission;
  /** Only for instance admins (keys bound to no workspace, instance-admin people). */
  instanceAdmin?: boolean;
  end?: boolean;
}

const NAV: NavItem[] = [
  { to: "/", label: "Dashboard", icon: "dashboard", end: true },
  { to: "/runs", label: "Runs", icon: "runs" },
  { to: "/jobs", label: "Jobs", icon: "jobs" },
  { to: "/skills", label: "Skills", icon: "skills" },
  { to: "/schedules", label: "Schedules", icon: "schedules" },
  { to: "/workers", label: "Workers", icon: "workers" },
  { to: "/credentials", label: "Credentials", icon: "credentials", needs: "credentials:read" },
  { to: "/api-keys", label: "API keys", icon: "keys", needs: "apikeys:manage" },
  { to: "/members", label: "Members", icon: "members" },
  { to: "/workspaces", label: "Workspaces", icon: "workspaces", instanceAdmin: true },
  { to: "/people", label: "People", icon: "people", instanceAdmin: true },
];

export function Layout() {
  const { displayName, person, role, can, instanceAdmin, method } = useAuth();
  return (
    <div className="flex h-full min-h-screen">
      <aside className="sticky top-0 flex h-screen w-52 shrink-0 flex-col bg-zinc-950 text-zinc-300">
        <Brand className="px-4 py-4 text-white" />
        <WorkspaceSwitcher />
        {can("runs:write") && (
          <div className="px-3 pb-3">
            <NavLink
              to="/runs/new"
              className="flex w-full items-center justify-center rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500"
            >
              + New run
            </NavLink>
          </div>
        )}
        <nav className="flex-1 space-y-0.5 px-2" aria-label="Main">
          {NAV.filter((n) => (!n.needs || can(n.needs)) && (!n.instanceAdmin || instanceAdmin)).map((n) => (
            <NavLink
              key={n.to}
              to={n.to}
              end={n.end}
              className={({ isActive }) =>
                `flex items-center gap-2.5 rounded-md px-2.5 py-1.5 text-sm ${isActive ? "bg-zinc-800 font-medium text-white" : "hover:bg-zinc-900 hover:text-white"}`
              }
            >
              <Icon name={n.icon} className="size-4 text-zinc-500" />
              {n.label}
            </NavLink>
          ))}
        </nav>
        <div className="border-t border-zinc-800 px-3 py-3 text-xs">
          <div className="truncate font-medium text-zinc-200" title={displayName} data-testid="current-identity">
            {displayName || "API key"}
          </div>
          {person?.name && person.email && (
            <div className="truncate text-zinc-500" title={person.email}>
              {person.email}
            </div>
          )}
          <div className="mt-0.5 flex flex-wrap items-center justify-between gap-2">
            <span className="rounded bg-zinc-800 px-1.5 py-0.5 text-zinc-300" data-testid="current-role">
              {role !== undefined ? ROLE_LABEL[role] : "…"}
            </span>
            <SignOutButton variant="ghost" size="sm" className="text-zinc-400 hover:bg-zinc-800 hover:text-white" />
          </div>
          {method === "session" && <SessionOptions />}
        </div>
      </aside>
      <main className="min-w-0 flex-1 px-6 py-5">
        <Outlet />
      </main>
    </div>
  );
}

/**
 * A signed-in person's less common session action, behind a toggle: "Sign out everywhere" beside
 * "Sign out" would make a search for the sign-out button by name (a person's, or a test's) ambiguous.
 */
function SessionOptions() {
  const [open, setOpen] = useState(false);
  return (
    <div className="mt-1 flex flex-wrap items-center justify-end gap-2">
      {open && <SignOutEverywhereButton variant="ghost" size="sm" className="text-zinc-400 hover:bg-zinc-800 hover:text-white" />}
      <Button
        variant="ghost"
        size="sm"
        className="text-zinc-500 hover:bg-zinc-800 hover:text-white"
        aria-label="Session options"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
      >
        {open ? "×" : "⋯"}
      </Button>
    </div>
  );
}
