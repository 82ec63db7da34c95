import { Link, useNavigate } from "react-router";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { SkillService } from "../gen/flightcontrol/v1/skill_pb";
import { useAuth } from "../hooks/useAuth";
import { bytes } from "../lib/format";
import { invalidateService } from "../lib/invalidate";
import { PageHeader, Section, Loading, EmptyState } from "../components/PageHeader";
import { ErrorBanner } from "../components/ErrorBanner";
import { RelativeTime } from "../components/RelativeTime";
import { SkillDropZone } from "../components/SkillDropZone";

/** Every uploaded skill at its latest version, and the drop zone that adds one. */
export function SkillsPage() {
  const { can } = useAuth();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const list = useQuery(SkillService.method.listSkills, {});
  const create = useMutation(SkillService.method.createSkill, {
    onSuccess: (res) => {
      invalidateService(queryClient, SkillService);
      if (res.skill) navigate(`/skills/${res.skill.id}`);
    },
  });

  return (
    <div>
      <PageHeader
        title="Skills"
        subtitle={
          <>
            Agent Skills (
            <a className="text-indigo-700 hover:underline" href="https://agentskills.io/specification" target="_blank" rel="noreferrer">
              agentskills.io
            </a>
            ): a folder with SKILL.md plus scripts, references and assets, installed for the runs of the jobs that name it.
          </>
        }
      />
      {can("jobs:write") && (
        <div className="mb-4 space-y-2">
          <SkillDropZone label="Upload a skill" busy={create.isPending} onSource={(s) => create.mutate(s)} />
          <ErrorBanner error={create.error} />
        </div>
      )}
      <ErrorBanner error={list.error} />
      <Section>
        {list.isPending ? (
          <Loading />
        ) : !list.data?.skills.length ? (
          <EmptyState>No skills yet.</EmptyState>
        ) : (
          <table className="table-dense" data-testid="skill-table">
            <thead>
              <tr>
                <th className="w-56">Name</th>
                <th>Description</th>
                <th className="w-20">Version</th>
                <th className="w-32">Files</th>
                <th className="w-28">Updated</th>
              </tr>
            </thead>
            <tbody>
              {list.data.skills.map((s) => (
                <tr key={s.id} data-skill-id={s.id}>
                  <td>
                    <Link to={`/skills/${s.id}`} className="font-mono font-medium text-zinc-900 hover:text-indigo-700">
                      {s.name}
                    </Link>
                  </td>
                  <td className="max-w-0">
                    <span className="block truncate text-xs text-zinc-600" title={s.description}>
                      {s.description}
                    </span>
                  </td>
                  <td className="text-xs text-zinc-600 tabular-nums">v{s.version}</td>
                  <td className="text-xs text-zinc-600 tabular-nums">
                    {s.fileCount} · {bytes(s.sizeBytes)}
                  </td>
                  <td className="text-xs text-zinc-600">
                    <RelativeTime ts={s.updateTime ?? s.createTime} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
    </div>
  );
}
