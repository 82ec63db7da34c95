import { InitialSchema1732480000000 } from "./1732480000000-initial-schema";
import { CredentialAllowedJobs1733900000000 } from "./1733900000000-credential-allowed-jobs";
import { KeyBoundIdentities1734600000000 } from "./1734600000000-key-bound-identities";
import { SpecSummaries1764000000000 } from "./1764000000000-spec-summaries";
import { RunSpecLast1764000000001 } from "./1764000000001-run-spec-last";
import { RunChanges1765000000000 } from "./1765000000000-run-changes";
import { Artifacts1765000000200 } from "./1765000000200-artifacts";
import { RunFollowUps1765000000400 } from "./1765000000400-run-follow-ups";
import { SkillsAndParameters1766000000000 } from "./1766000000000-skills-and-parameters";
import { WorkerAgentVersions1766000000100 } from "./1766000000100-worker-agent-versions";
import { Workspaces1767000000000 } from "./1767000000000-workspaces";
import { PeopleAndSessions1768000000000 } from "./1768000000000-people-and-sessions";
import { SessionsByPerson1768000000100 } from "./1768000000100-sessions-by-person";

/** Every migration, oldest first. Listed explicitly so tsx and bundlers need no file globbing. */
export const migrations = [
  InitialSchema1732480000000,
  CredentialAllowedJobs1733900000000,
  KeyBoundIdentities1734600000000,
  SpecSummaries1764000000000,
  RunSpecLast1764000000001,
  RunChanges1765000000000,
  Artifacts1765000000200,
  RunFollowUps1765000000400,
  SkillsAndParameters1766000000000,
  WorkerAgentVersions1766000000100,
  Workspaces1767000000000,
  PeopleAndSessions1768000000000,
  SessionsByPerson1768000000100,
];
