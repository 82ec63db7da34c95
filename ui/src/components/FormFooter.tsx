import type { ReactNode } from "react";
import { Button } from "./Button";

/** The footer of a form in a dialog: Cancel, then the submit button, labelled `children`. */
export function FormFooter({ onCancel, busy, disabled, children }: { onCancel: () => void; busy: boolean; disabled?: boolean; children: ReactNode }) {
  return (
    <div className="flex justify-end gap-2">
      <Button variant="ghost" onClick={onCancel}>
        Cancel
      </Button>
      <Button type="submit" variant="primary" busy={busy} disabled={disabled}>
        {children}
      </Button>
    </div>
  );
}
