import { useState } from "react";
import { useAuth } from "../hooks/useAuth";
import { errorMessage } from "../lib/errors";
import { Button, type ButtonProps } from "./Button";

/** Signs out; ending a session asks the server, which can fail, so the button says why it did not work. */
export function SignOutButton(props: Omit<ButtonProps, "onClick" | "busy">) {
  const { signOut } = useAuth();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  async function click() {
    setBusy(true);
    setError(null);
    try {
      await signOut();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }
  return (
    <>
      <Button {...props} busy={busy} onClick={() => void click()}>
        Sign out
      </Button>
      {!!error && (
        <span role="alert" className="text-xs text-red-400">
          {errorMessage(error)}
        </span>
      )}
    </>
  );
}
