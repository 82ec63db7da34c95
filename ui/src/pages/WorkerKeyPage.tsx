import { useAuth } from "../hooks/useAuth";
import { Button } from "../components/Button";

export function WorkerKeyPage() {
  const { identity, signOut } = useAuth();
  return (
    <div className="flex min-h-screen items-center justify-center bg-zinc-100 px-4">
      <div className="card max-w-md space-y-3 p-6" role="alert">
        <h1 className="text-base font-semibold">This is a worker key</h1>
        <p className="text-sm text-zinc-600">
          <strong>{identity?.name}</strong> has the <em>worker</em> role: it can only open a worker session and cannot use the dashboard. Sign in with
          an admin, operator or viewer key instead.
        </p>
        <Button variant="primary" onClick={() => void signOut()}>
          Sign out
        </Button>
      </div>
    </div>
  );
}
