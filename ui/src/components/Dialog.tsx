import { useEffect, useRef, type ReactNode } from "react";

/** A modal on the native <dialog> element, which handles focus trapping and Escape. */
export function Dialog({
  open,
  onClose,
  title,
  children,
  wide,
}: {
  open: boolean;
  onClose: () => void;
  title: ReactNode;
  children: ReactNode;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    // jsdom lacks showModal; fall back to the open attribute there.
    if (open && !d.open) {
      if (typeof d.showModal === "function") d.showModal();
      else d.setAttribute("open", "");
    } else if (!open && d.open) {
      if (typeof d.close === "function") d.close();
      else d.removeAttribute("open");
    }
  }, [open]);
  return (
    <dialog
      ref={ref}
      onClose={onClose}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      className={`m-auto w-full ${wide ? "max-w-2xl" : "max-w-lg"} rounded-lg border border-zinc-200 bg-white p-0 shadow-xl backdrop:bg-zinc-950/40`}
    >
      {open && (
        <div>
          <div className="flex items-center justify-between border-b border-zinc-200 px-4 py-3">
            <h2 className="text-sm font-semibold">{title}</h2>
            <button type="button" className="text-zinc-400 hover:text-zinc-700" aria-label="Close" onClick={onClose}>
              ✕
            </button>
          </div>
          <div className="p-4">{children}</div>
        </div>
      )}
    </dialog>
  );
}
