import { lazy, Suspense, useState, type ReactNode } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { SkillService, type Skill } from "../gen/flightcontrol/v1/skill_pb";
import { useAuth } from "../hooks/useAuth";
import { bytes, shortId } from "../lib/format";
import { invalidateService } from "../lib/invalidate";
import { PageHeader, Section, Loading } from "../components/PageHeader";
import { ErrorBanner } from "../components/ErrorBanner";
import { Button } from "../components/Button";
import { ConfirmButton } from "../components/ConfirmButton";
import { Dialog } from "../components/Dialog";
import { RelativeTime } from "../components/RelativeTime";
import { SkillDropZone } from "../components/SkillDropZone";
import { SkillFileTree } from "../components/SkillFileTree";
import { Chip } from "../components/StatusBadge";

// The Markdown renderer loads with this page, not with the dashboard.
const SkillMarkdown = lazy(() => import("../components/SkillMarkdown"));

/** One skill: its files, SKILL.md and versions (`?version=N` shows an older one). */
export function SkillDetailPage() {
  const { id = "" } = useParams();
  const [params] = useSearchParams();
  const version = Number(params.get("version")) || 0;
  const { can } = useAuth();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [uploading, setUploading] = useState(false);
  const got = useQuery(SkillService.method.getSkill, { id, version });
  const update = useMutation(SkillService.method.updateSkill, {
    onSuccess: () => {
      invalidateService(queryClient, SkillService);
      setUploading(false);
      navigate(`/skills/${id}`);
    },
  });
  const del = useMutation(SkillService.method.deleteSkill, {
    onSuccess: () => {
      invalidateService(queryClient, SkillService);
      navigate("/skills");
    },
  });

  if (got.isPending) return <Loading />;
  if (got.error || !got.data.skill) return <ErrorBanner error={got.error ?? new Error("Skill not found")} />;
  const s = got.data.skill;
  const old = s.version !== s.latestVersion;

  return (
    <div>
      <PageHeader
        title={<span className="font-mono">{s.name}</span>}
        subtitle={
          <span className="flex flex-wrap items-center gap-x-3">
            <span>{s.description}</span>
            <span className="font-mono text-xs text-zinc-400" title={s.id}>
              {shortId(s.id)}
            </span>
          </span>
        }
        actions={
          can("jobs:write") && (
            <>
              <ConfirmButton variant="ghost" onConfirm={() => del.mutate({ id })} busy={del.isPending} confirmLabel="Delete every version?">
                Delete
              </ConfirmButton>
              <Button variant="primary" onClick={() => setUploading(true)}>
                Upload new version
              </Button>
            </>
          )
        }
      />
      <div className="space-y-4">
        <ErrorBanner error={del.error} />
        {old && (
          <div className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900" role="status">
            Showing version {s.version}; the latest is {s.latestVersion}.{" "}
            <Link to={`/skills/${id}`} className="font-medium underline">
              Show the latest
            </Link>
          </div>
        )}
        <div className="grid grid-cols-1 gap-4 xl:grid-cols-[minmax(0,1fr)_340px]">
          <Section title="SKILL.md">
            <Suspense fallback={<Loading />}>
              <SkillMarkdown text={s.skillMd} />
            </Suspense>
          </Section>
          <div className="space-y-4">
            <Section title={`Version ${s.version}`}>
              <SkillFacts skill={s} />
            </Section>
            <Section title={`Files · ${s.fileCount} · ${bytes(s.sizeBytes)}`}>
              <SkillFileTree files={s.files} />
            </Section>
            <Section title="Versions">
              <ul className="divide-y divide-zinc-100" data-testid="skill-versions">
                {got.data.versions.map((v) => (
                  <li key={v.version} className="flex items-baseline justify-between gap-3 px-4 py-1.5 text-xs">
                    {v.version === s.version ? (
                      <span className="font-semibold text-zinc-900">v{v.version} (shown)</span>
                    ) : (
                      <Link
                        to={v.version === s.latestVersion ? `/skills/${id}` : `/skills/${id}?version=${v.version}`}
                        className="font-medium text-indigo-700 hover:underline"
                      >
                        v{v.version}
                      </Link>
                    )}
                    <span className="text-zinc-500 tabular-nums">
                      {v.fileCount} files · {bytes(v.sizeBytes)} · <RelativeTime ts={v.createTime} />
                    </span>
                  </li>
                ))}
              </ul>
            </Section>
          </div>
        </div>
      </div>
      <Dialog open={uploading} onClose={() => setUploading(false)} title={`New version of ${s.name}`} wide>
        <div className="space-y-3">
          <p className="text-xs text-zinc-600">
            The new contents become version {s.latestVersion + 1}. Runs already created keep the version they started with; later runs of jobs naming
            this skill use the new one. Its SKILL.md must keep the name {s.name}.
          </p>
          <SkillDropZone label="Drop the new version" busy={update.isPending} onSource={(src) => update.mutate({ id, ...src })} />
          <ErrorBanner error={update.error} />
        </div>
      </Dialog>
    </div>
  );
}

function SkillFacts({ skill: s }: { skill: Skill }) {
  const rows: [string, ReactNode][] = [
    ["Stored", <RelativeTime key="t" ts={s.updateTime ?? s.createTime} />],
    ...(s.license ? [["License", s.license] as [string, ReactNode]] : []),
    ...(s.compatibility ? [["Compatibility", s.compatibility] as [string, ReactNode]] : []),
    ...(s.allowedTools.length
      ? [
          [
            "Allowed tools",
            <span key="a" className="flex flex-wrap gap-1">
              {s.allowedTools.map((t) => (
                <Chip key={t}>{t}</Chip>
              ))}
            </span>,
          ] as [string, ReactNode],
        ]
      : []),
    ...Object.entries(s.metadata).map(([k, v]) => [k, v] as [string, ReactNode]),
  ];
  return (
    <dl className="px-4 py-2 text-xs">
      {rows.map(([k, v]) => (
        <div key={k} className="grid grid-cols-[110px_minmax(0,1fr)] gap-2 py-0.5">
          <dt className="text-zinc-500">{k}</dt>
          <dd className="break-words text-zinc-900">{v}</dd>
        </div>
      ))}
    </dl>
  );
}
