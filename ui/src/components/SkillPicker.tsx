import { useQuery } from "@connectrpc/connect-query";
import { Link } from "react-router";
import { SkillService } from "../gen/flightcontrol/v1/skill_pb";
import { errorMessage } from "../lib/errors";

/** Multi-select of uploaded skills (JobSpec.skill_ids); the server allows 8 per job. */
export function SkillPicker({ value, onChange, invalid }: { value: string[]; onChange: (ids: string[]) => void; invalid?: boolean }) {
  const list = useQuery(SkillService.method.listSkills, {});
  if (list.error) return <p className="text-xs text-red-700">{errorMessage(list.error)}</p>;
  if (list.isPending) return <p className="text-xs text-zinc-500">Loading skills…</p>;
  const skills = list.data.skills;
  // A skill deleted since the job was saved cannot be listed; show it so it can be removed.
  const missing = value.filter((id) => !skills.some((s) => s.id === id));
  if (!skills.length && !missing.length) {
    return (
      <p className="text-xs text-zinc-500">
        No skills uploaded yet;{" "}
        <Link to="/skills" className="text-indigo-700 hover:underline">
          upload one
        </Link>
        .
      </p>
    );
  }
  const toggle = (id: string) => onChange(value.includes(id) ? value.filter((v) => v !== id) : [...value, id]);
  return (
    <fieldset
      className={`max-h-48 min-w-0 divide-y divide-zinc-100 overflow-auto rounded-md border ${invalid ? "border-red-400" : "border-zinc-300"} bg-white`}
      aria-label="Skills"
    >
      {skills.map((s) => (
        <label key={s.id} className="flex cursor-pointer items-start gap-2 px-2.5 py-1.5 hover:bg-zinc-50">
          <input type="checkbox" className="mt-0.5 accent-indigo-600" checked={value.includes(s.id)} onChange={() => toggle(s.id)} />
          <span className="min-w-0">
            <span className="block font-mono text-sm text-zinc-900">
              {s.name} <span className="text-[11px] text-zinc-400">v{s.version}</span>
            </span>
            <span className="block truncate text-[11px] text-zinc-500" title={s.description}>
              {s.description}
            </span>
          </span>
        </label>
      ))}
      {missing.map((id) => (
        <label key={id} className="flex cursor-pointer items-start gap-2 px-2.5 py-1.5 text-xs text-amber-800">
          <input type="checkbox" className="mt-0.5 accent-indigo-600" checked onChange={() => toggle(id)} />
          Skill {id.slice(0, 8)} no longer exists; untick it.
        </label>
      ))}
    </fieldset>
  );
}
