import { useState } from "react";
import { createClient } from "@connectrpc/connect";
import { useTransport } from "@connectrpc/connect-query";
import { PersonService } from "../gen/flightcontrol/v1/person_pb";
import { useAuth } from "../hooks/useAuth";
import { errorMessage } from "../lib/errors";
import type { ButtonProps } from "./Button";
import { ConfirmButton } from "./ConfirmButton";

/**
 * For a signed-in person: ends every one of their sessions (other browsers, a lost laptop), then
 * this one. Nothing for an API key, which has no sessions.
 */
export function SignOutEverywhereButton(props: Omit<ButtonProps, "onClick" | "busy">) {
  const { person, method, signOut } = useAuth();
  const transport = useTransport();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  if (method !== "session" || !person) return null;
  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await createClient(PersonService, transport).endSessions({ personId: person!.id });
      // This browser's session is gone with the others: clear its cookies and cache.
      await signOut();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }
  return (
    <>
      <ConfirmButton
        {...props}
        busy={busy}
        confirmLabel="Sign out everywhere?"
        title="Ends your sessions in every browser, this one included; open pages elsewhere stop within about 2 seconds."
        onConfirm={() => void confirm()}
      >
        Sign out everywhere
      </ConfirmButton>
      {!!error && (
        <span role="alert" className="text-xs text-red-400">
          {errorMessage(error)}
        </span>
      )}
    </>
  );
}
