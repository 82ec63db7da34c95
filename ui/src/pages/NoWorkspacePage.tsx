import { useAuth } from "../hooks/useAuth";
import { SignOutButton } from "../components/SignOutButton";
import { SignOutEverywhereButton } from "../components/SignOutEverywhereButton";

/** A signed-in person who is a member of no workspace yet: only a workspace admin can change that. */
export function NoWorkspacePage() {
  const { person, displayName } = useAuth();
  return (
    <div className="flex min-h-screen items-center justify-center bg-zinc-100 px-4">
      <div className="card max-w-md space-y-3 p-6" role="alert">
        <h1 className="text-base font-semibold">No workspace yet</h1>
        <p className="text-sm text-zinc-600">
          You are signed in as <strong>{person?.email || displayName}</strong>, but you are not a member of any workspace. Ask a workspace admin to
          add this email on their Members page, then reload.
        </p>
        <div className="flex flex-wrap items-center gap-2">
          <SignOutButton variant="primary" />
          <SignOutEverywhereButton />
        </div>
      </div>
    </div>
  );
}
