import { useState, type FormEvent } from "react";
import { useMutation } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { Role } from "../gen/flightcontrol/v1/api_key_pb";
import { WorkspaceService } from "../gen/flightcontrol/v1/workspace_pb";
import { FieldErrors } from "../lib/errors";
import { invalidateService } from "../lib/invalidate";
import { MEMBER_ROLES, ROLE_DESCRIPTION, ROLE_LABEL } from "../lib/permissions";
import { ErrorBanner } from "./ErrorBanner";
import { Field } from "./Field";
import { Button } from "./Button";

/** Adds a person to the workspace by the email their identity provider verifies; they need not have signed in yet. */
export function AddMemberForm({ workspaceId }: { workspaceId: string }) {
  const queryClient = useQueryClient();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>(Role.VIEWER);
  const add = useMutation(WorkspaceService.method.addMember, {
    onSuccess: () => {
      invalidateService(queryClient, WorkspaceService);
      setEmail("");
    },
  });
  const errors = FieldErrors.of(add.error);
  function submit(e: FormEvent) {
    e.preventDefault();
    add.mutate({ workspaceId, email: email.trim(), role });
  }
  return (
    <form onSubmit={submit} noValidate className="space-y-3 p-4" aria-label="Add member">
      <ErrorBanner error={add.error} fieldErrors={errors} claimed={["email", "role"]} />
      <div className="grid grid-cols-[1fr_12rem_auto] items-start gap-3">
        <Field label="Email" name="email" error={errors.get("email")}>
          {(a) => (
            <input {...a} type="email" className="input" value={email} placeholder="someone@example.com" onChange={(e) => setEmail(e.target.value)} />
          )}
        </Field>
        <Field label="Role" name="role" error={errors.get("role")} hint={ROLE_DESCRIPTION[role]}>
          {(a) => (
            <select {...a} className="input" value={role} onChange={(e) => setRole(Number(e.target.value) as Role)}>
              {MEMBER_ROLES.map((r) => (
                <option key={r} value={r}>
                  {ROLE_LABEL[r]}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Button type="submit" variant="primary" className="mt-5" busy={add.isPending} disabled={!email.trim()}>
          Add member
        </Button>
      </div>
    </form>
  );
}
