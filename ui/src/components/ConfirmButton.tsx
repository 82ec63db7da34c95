import { useEffect, useState } from "react";
import { Button, type ButtonProps } from "./Button";

/**
 * A destructive action that asks for a second click instead of a modal, keeping tables dense.
 * The question reverts after a few seconds so a stray click later does nothing.
 */
export function ConfirmButton({
  onConfirm,
  confirmLabel = "Confirm?",
  children,
  ...rest
}: Omit<ButtonProps, "onClick"> & { onConfirm: () => void; confirmLabel?: string }) {
  const [asking, setAsking] = useState(false);
  useEffect(() => {
    if (!asking) return;
    const t = setTimeout(() => setAsking(false), 4000);
    return () => clearTimeout(t);
  }, [asking]);
  return (
    <Button
      {...rest}
      variant={asking ? "danger" : rest.variant}
      onClick={() => {
        if (asking) {
          setAsking(false);
          onConfirm();
        } else setAsking(true);
      }}
    >
      {asking ? confirmLabel : children}
    </Button>
  );
}
