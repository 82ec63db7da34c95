import { useState, type ReactNode } from "react";
import { BrowserRouter, Route, Routes } from "react-router";
import { QueryClientProvider, type QueryClient } from "@tanstack/react-query";
import { TransportProvider } from "@connectrpc/connect-query";
import type { Transport } from "@connectrpc/connect";
import { Role } from "./gen/flightcontrol/v1/api_key_pb";
import { AuthProvider } from "./components/AuthProvider";
import { useAuth } from "./hooks/useAuth";
import { createAppTransport } from "./lib/transport";
import { createQueryClient } from "./lib/query-client";
import { errorMessage } from "./lib/errors";
import { Layout } from "./components/Layout";
import { WorkspaceProvider } from "./components/WorkspaceProvider";
import { RequirePermission } from "./components/RequirePermission";
import { Button } from "./components/Button";
import { Loading } from "./components/PageHeader";
import { SignInPage } from "./pages/SignInPage";
import { WorkerKeyPage } from "./pages/WorkerKeyPage";
import { DashboardPage } from "./pages/DashboardPage";
import { RunsPage } from "./pages/RunsPage";
import { RunDetailPage } from "./pages/RunDetailPage";
import { NewRunPage } from "./pages/NewRunPage";
import { JobsPage } from "./pages/JobsPage";
import { JobDetailPage } from "./pages/JobDetailPage";
import { JobEditPage } from "./pages/JobEditPage";
import { SchedulesPage } from "./pages/SchedulesPage";
import { WorkersPage } from "./pages/WorkersPage";
import { CredentialsPage } from "./pages/CredentialsPage";
import { ApiKeysPage } from "./pages/ApiKeysPage";
import { SkillsPage } from "./pages/SkillsPage";
import { SkillDetailPage } from "./pages/SkillDetailPage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { MembersPage } from "./pages/MembersPage";
import { WorkspacesPage } from "./pages/WorkspacesPage";
import { PeoplePage } from "./pages/PeoplePage";
import { NoWorkspacePage } from "./pages/NoWorkspacePage";

/** Transport, query cache and auth; tests pass a router transport and their own client. */
export function AppProviders({ transport, queryClient, children }: { transport?: Transport; queryClient?: QueryClient; children: ReactNode }) {
  const [t] = useState(() => transport ?? createAppTransport());
  const [qc] = useState(() => queryClient ?? createQueryClient());
  return (
    <TransportProvider transport={t}>
      <QueryClientProvider client={qc}>
        <AuthProvider>{children}</AuthProvider>
      </QueryClientProvider>
    </TransportProvider>
  );
}

/** Decides between sign-in, the worker-key notice and the dashboard itself. */
export function AuthGate() {
  const { apiKey, method, loading, error, role, signOut } = useAuth();
  if (loading) return <Loading label={apiKey ? "Checking your API key…" : "Checking whether you are signed in…"} />;
  if (!apiKey && !method) {
    // Without a key, a refused WhoAmI is simply "not signed in"; anything else (the server is down,
    // or refuses the signed-in person) is worth saying.
    return <SignInPage notice={error ? `Could not check your sign-in: ${errorMessage(error)}` : undefined} />;
  }
  if (error || role === undefined) {
    return (
      <div className="flex min-h-screen items-center justify-center px-4">
        <div className="card max-w-md space-y-3 p-6" role="alert">
          <h1 className="font-semibold">Cannot reach the server</h1>
          <p className="text-sm text-zinc-600">{errorMessage(error) || "The server did not describe your key."}</p>
          <div className="flex gap-2">
            <Button variant="primary" onClick={() => window.location.reload()}>
              Try again
            </Button>
            <Button onClick={() => void signOut()}>Sign out</Button>
          </div>
        </div>
      </div>
    );
  }
  if (role === Role.WORKER) return <WorkerKeyPage />;
  if (role === Role.UNSPECIFIED) return <NoWorkspacePage />;
  return (
    <WorkspaceProvider>
      <AppRoutes />
    </WorkspaceProvider>
  );
}

export function AppRoutes() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<DashboardPage />} />
        <Route path="runs" element={<RunsPage />} />
        <Route
          path="runs/new"
          element={
            <RequirePermission permission="runs:write">
              <NewRunPage />
            </RequirePermission>
          }
        />
        <Route path="runs/:id" element={<RunDetailPage />} />
        <Route path="jobs" element={<JobsPage />} />
        <Route
          path="jobs/new"
          element={
            <RequirePermission permission="jobs:write">
              <JobEditPage />
            </RequirePermission>
          }
        />
        <Route path="jobs/:id" element={<JobDetailPage />} />
        <Route
          path="jobs/:id/edit"
          element={
            <RequirePermission permission="jobs:write">
              <JobEditPage />
            </RequirePermission>
          }
        />
        <Route path="skills" element={<SkillsPage />} />
        <Route path="skills/:id" element={<SkillDetailPage />} />
        <Route path="schedules" element={<SchedulesPage />} />
        <Route path="workers" element={<WorkersPage />} />
        <Route
          path="credentials"
          element={
            <RequirePermission permission="credentials:read">
              <CredentialsPage />
            </RequirePermission>
          }
        />
        <Route
          path="api-keys"
          element={
            <RequirePermission permission="apikeys:manage">
              <ApiKeysPage />
            </RequirePermission>
          }
        />
        <Route path="members" element={<MembersPage />} />
        <Route path="workspaces" element={<WorkspacesPage />} />
        <Route path="people" element={<PeoplePage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}

export function App() {
  return (
    <AppProviders>
      <BrowserRouter>
        <AuthGate />
      </BrowserRouter>
    </AppProviders>
  );
}
