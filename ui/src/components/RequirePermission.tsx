import type { ReactNode } from "react";
import { useAuth } from "../hooks/useAuth";
import type { Permission } from "../lib/permissions";
import { PageHeader } from "./PageHeader";

/** Route guard for pages a role may not use; the server enforces the same rule. */
export function RequirePermission({ permission, children }: { permission: Permission; children: ReactNode }) {
  const { can } = useAuth();
  if (can(permission)) return <>{children}</>;
  return (
    <div>
      <PageHeader title="Not available" />
      <p className="text-sm text-zinc-600">Your role in this workspace does not allow this page.</p>
    </div>
  );
}
