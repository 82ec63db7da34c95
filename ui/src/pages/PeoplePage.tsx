import { useInfiniteQuery, useMutation } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import type { Person } from "../gen/flightcontrol/v1/api_key_pb";
import { PersonService } from "../gen/flightcontrol/v1/person_pb";
import { useAuth } from "../hooks/useAuth";
import { count } from "../lib/format";
import { invalidateService } from "../lib/invalidate";
import { PageHeader, Section, Loading, EmptyState } from "../components/PageHeader";
import { ErrorBanner } from "../components/ErrorBanner";
import { ConfirmButton } from "../components/ConfirmButton";
import { LoadMore } from "../components/LoadMore";
import { RelativeTime } from "../components/RelativeTime";

/** Everyone who has signed in through the identity provider, for instance admins: end their sessions, or forget them. */
export function PeoplePage() {
  const { instanceAdmin } = useAuth();
  const list = useInfiniteQuery(
    PersonService.method.listPeople,
    { pageSize: 100, pageToken: "" },
    { pageParamKey: "pageToken", getNextPageParam: (last) => last.nextPageToken || undefined, enabled: instanceAdmin },
  );
  const people = list.data?.pages.flatMap((p) => p.people) ?? [];

  if (!instanceAdmin) {
    return (
      <div>
        <PageHeader title="Not available" />
        <p className="text-sm text-zinc-600">Only instance admins (the bootstrap admin key, or an instance-admin person) see who has signed in.</p>
      </div>
    );
  }
  return (
    <div>
      <PageHeader
        title="People"
        subtitle="Everyone who has signed in with the identity provider. What they may do comes from their workspace memberships, by email."
      />
      <ErrorBanner error={list.error} />
      <Section>
        {list.isPending ? (
          <Loading />
        ) : !people.length ? (
          <EmptyState>Nobody has signed in yet.</EmptyState>
        ) : (
          <table className="table-dense" data-testid="people-table">
            <thead>
              <tr>
                <th>Email</th>
                <th>Name</th>
                <th className="w-28">First seen</th>
                <th className="w-28">Last sign-in</th>
                <th className="w-28">Active sessions</th>
                <th className="w-56" />
              </tr>
            </thead>
            <tbody>
              {people.map((p) => (
                <PersonRow key={p.id} person={p} />
              ))}
            </tbody>
          </table>
        )}
        <LoadMore hasMore={list.hasNextPage} loading={list.isFetchingNextPage} onLoad={() => void list.fetchNextPage()} />
      </Section>
    </div>
  );
}

function PersonRow({ person: p }: { person: Person }) {
  const { person: me } = useAuth();
  const queryClient = useQueryClient();
  const onSuccess = () => invalidateService(queryClient, PersonService);
  const end = useMutation(PersonService.method.endSessions, { onSuccess });
  const forget = useMutation(PersonService.method.deletePerson, { onSuccess });
  const error = end.error ?? forget.error;
  const self = me?.id === p.id;
  return (
    <>
      <tr data-person={p.email}>
        <td className="font-medium">
          {p.email}
          {p.instanceAdmin && <span className="ml-2 rounded bg-indigo-50 px-1.5 py-0.5 text-[11px] text-indigo-700">instance admin</span>}
          {self && <span className="ml-2 rounded bg-zinc-100 px-1.5 py-0.5 text-[11px] text-zinc-600">you</span>}
        </td>
        <td className="text-xs text-zinc-600">{p.name || <span className="text-zinc-400">—</span>}</td>
        <td className="text-xs">
          <RelativeTime ts={p.createTime} />
        </td>
        <td className="text-xs">
          <RelativeTime ts={p.lastSignInTime} />
        </td>
        <td className="text-xs tabular-nums">{count(p.activeSessions)}</td>
        <td>
          <div className="flex items-center justify-end gap-1.5">
            {end.data && <span className="text-xs text-zinc-500">ended {count(end.data.endedSessions)}</span>}
            <ConfirmButton
              size="sm"
              variant="ghost"
              busy={end.isPending}
              disabled={!p.activeSessions}
              confirmLabel="Sign them out everywhere?"
              title="Signs them out in every browser; their open pages stop updating within about 2 seconds. They can sign in again."
              onConfirm={() => end.mutate({ personId: p.id })}
            >
              End sessions
            </ConfirmButton>
            {!self && (
              <ConfirmButton
                size="sm"
                variant="ghost"
                busy={forget.isPending}
                confirmLabel="Forget them?"
                title="Ends their sessions and deletes their record, so the next sign-in with this email is a new person (e.g. a recreated account). Their workspace memberships stay."
                onConfirm={() => forget.mutate({ id: p.id })}
              >
                Forget
              </ConfirmButton>
            )}
          </div>
        </td>
      </tr>
      {!!error && (
        <tr>
          <td colSpan={6}>
            <ErrorBanner error={error} />
          </td>
        </tr>
      )}
    </>
  );
}
