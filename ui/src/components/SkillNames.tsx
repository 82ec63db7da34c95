import { useQuery } from "@connectrpc/connect-query";
import { Link } from "react-router";
import { SkillService } from "../gen/flightcontrol/v1/skill_pb";
import { Chip } from "./StatusBadge";

/** Skill ids as links named from ListSkills; an id that no longer lists stands in for a deleted skill. */
export function SkillNames({ ids }: { ids: string[] }) {
  const list = useQuery(SkillService.method.listSkills, {});
  const names = new Map(list.data?.skills.map((s) => [s.id, s.name]) ?? []);
  return (
    <span className="inline-flex flex-wrap gap-1">
      {ids.map((id) => (
        <Link key={id} to={`/skills/${id}`} className="hover:opacity-80">
          <Chip tone="indigo">{names.get(id) ?? id.slice(0, 8)}</Chip>
        </Link>
      ))}
    </span>
  );
}
