import { useMutation, useQuery } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import type { Role } from "../gen/flightcontrol/v1/api_key_pb";
import { WorkspaceService, type Member } from "../gen/flightcontrol/v1/workspace_pb";
import { useAuth } from "../hooks/useAuth";
import { useWorkspace } from "../hooks/useWorkspace";
import { invalidateService } from "../lib/invalidate";
import { MEMBER_ROLES, ROLE_LABEL } from "../lib/permissions";
import { PageHeader, Section, Loading, EmptyState } from "../components/PageHeader";
import { ErrorBanner } from "../components/ErrorBanner";
import { ConfirmButton } from "../components/ConfirmButton";
import { RelativeTime } from "../components/RelativeTime";
import { AddMemberForm } from "../components/AddMemberForm";

/** The people who may act in the current workspace and their roles; its admins manage them. */
export function MembersPage() {
  const { current } = useWorkspace();
  const { workspaceId: answeredFor, can } = useAuth();
  const workspaceId = current?.id || answeredFor;
  const list = useQuery(WorkspaceService.method.listMembers, { workspaceId }, { enabled: !!workspaceId });
  const manage = can("members:manage");

  return (
    <div>
      <PageHeader
        title="Members"
        subtitle={
          <>
            People who sign in with the identity provider and their role in <strong>{current?.name ?? "this workspace"}</strong>. API keys are managed
            separately.
          </>
        }
      />
      {!workspaceId ? (
        <ErrorBanner error={new Error("The server did not say which workspace this is, so its members cannot be listed.")} />
      ) : (
        <>
          {manage && (
            <Section title="Add a member" className="mb-4">
              <AddMemberForm workspaceId={workspaceId} />
            </Section>
          )}
          <ErrorBanner error={list.error} />
          <Section>
            {list.isPending ? (
              <Loading />
            ) : !list.data?.members.length ? (
              <EmptyState>No members yet.</EmptyState>
            ) : (
              <table className="table-dense" data-testid="member-table">
                <thead>
                  <tr>
                    <th>Email</th>
                    <th className="w-36">Role</th>
                    <th className="w-28">Added</th>
                    <th className="w-40" />
                  </tr>
                </thead>
                <tbody>
                  {list.data.members.map((m) => (
                    <MemberRow key={m.email} member={m} manage={manage} />
                  ))}
                </tbody>
              </table>
            )}
          </Section>
        </>
      )}
    </div>
  );
}

function MemberRow({ member: m, manage }: { member: Member; manage: boolean }) {
  const queryClient = useQueryClient();
  const onSuccess = () => invalidateService(queryClient, WorkspaceService);
  const update = useMutation(WorkspaceService.method.updateMember, { onSuccess });
  const remove = useMutation(WorkspaceService.method.removeMember, { onSuccess });
  const error = update.error ?? remove.error;
  return (
    <>
      <tr data-member={m.email}>
        <td className="font-medium">{m.email}</td>
        <td className="text-xs">
          {manage ? (
            <select
              className="input py-0.5 text-xs"
              aria-label={`Role of ${m.email}`}
              value={m.role}
              disabled={update.isPending}
              onChange={(e) => update.mutate({ workspaceId: m.workspaceId, email: m.email, role: Number(e.target.value) as Role })}
            >
              {MEMBER_ROLES.map((r) => (
                <option key={r} value={r}>
                  {ROLE_LABEL[r]}
                </option>
              ))}
            </select>
          ) : (
            ROLE_LABEL[m.role]
          )}
        </td>
        <td className="text-xs">
          <RelativeTime ts={m.createTime} />
        </td>
        <td className="text-right">
          {manage && (
            <ConfirmButton
              size="sm"
              variant="ghost"
              busy={remove.isPending}
              confirmLabel="Remove?"
              onConfirm={() => remove.mutate({ workspaceId: m.workspaceId, email: m.email })}
            >
              Remove
            </ConfirmButton>
          )}
        </td>
      </tr>
      {!!error && (
        <tr>
          <td colSpan={4}>
            <ErrorBanner error={error} />
          </td>
        </tr>
      )}
    </>
  );
}
