import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { JobSpecSchema } from "../src/gen/flightcontrol/v1/spec_pb";
import { checkSpecDraft } from "../src/lib/job-spec-checks";
import { draftToSpec, emptySpecDraft, specToDraft, type JobSpecDraft } from "../src/lib/job-spec-draft";

const draft = (patch: Partial<JobSpecDraft>): JobSpecDraft => ({ ...emptySpecDraft(), prompt: "fix it", ...patch });
const problems = (patch: Partial<JobSpecDraft>) => Object.fromEntries(checkSpecDraft(draft(patch), "spec").map((v) => [v.path, v.message]));

describe("repository, setup script and artifact globs in the spec draft", () => {
  it("round-trips through the JobSpec", () => {
    const spec = create(JobSpecSchema, {
      prompt: "p",
      agent: "shell",
      repository: {
        url: "git@github.com:acme/app.git",
        ref: "v1.2",
        branch: "fc/fix",
        push: true,
        credentialId: "0198a0c2-0000-7000-8000-000000000001",
      },
      setupScript: "npm ci\nnpm run build",
      artifactPaths: ["report.md", "out/**/*.png"],
    });
    const d = specToDraft(spec);
    expect(d).toMatchObject({ repoUrl: "git@github.com:acme/app.git", repoRef: "v1.2", repoBranch: "fc/fix", repoPush: true });
    expect(d.artifactPaths).toBe("report.md\nout/**/*.png");
    expect(create(JobSpecSchema, draftToSpec(d))).toEqual(spec);
  });

  it("sends no repository when the URL is empty, and drops blank glob lines", () => {
    const spec = draftToSpec(draft({ setupScript: "  \n", artifactPaths: "\n  a.md \n\n" }));
    expect(spec.repository).toBeUndefined();
    expect(spec.setupScript).toBe("");
    expect(spec.artifactPaths).toEqual(["a.md"]);
  });
});

describe("checkSpecDraft", () => {
  it("accepts every URL form the server accepts, and no repository at all", () => {
    for (const url of [
      "https://github.com/acme/app.git",
      "http://127.0.0.1:9/r.git",
      "ssh://git@host/r.git",
      "git://127.0.0.1:9418/r.git",
      "git@host:acme/r.git",
      "",
    ]) {
      expect(problems({ repoUrl: url, repoPush: !!url })).toEqual({});
    }
  });

  it("says what to fix in the repository fields", () => {
    expect(problems({ repoUrl: "https://bob:ghp_secret@github.com/acme/app.git" })["spec.repository.url"]).toMatch(
      /Take the user name and token out/,
    );
    expect(problems({ repoUrl: "github.com/acme/app" })["spec.repository.url"]).toMatch(/Use an https:\/\/host\/path/);
    expect(problems({ repoPush: true })["spec.repository.url"]).toBe("Enter the repository URL, or clear the ref, branch, push and git credential.");
    expect(problems({ repoUrl: "git@h:r.git", repoRef: "main~1" })["spec.repository.ref"]).toMatch(/remove spaces and the characters/);
    expect(problems({ repoUrl: "git@h:r.git", repoBranch: "-x" })["spec.repository.branch"]).toMatch(/starting with a letter/);
    expect(problems({ repoUrl: "git@h:r.git", repoBranch: "fc/fix-login" })).toEqual({});
  });

  it("keeps artifact globs inside the workspace", () => {
    expect(problems({ artifactPaths: "/etc/passwd" })["spec.artifact_paths"]).toBe(
      '"/etc/passwd": globs are relative to the run\'s workspace; remove the leading /.',
    );
    expect(problems({ artifactPaths: "out/../../x" })["spec.artifact_paths"]).toMatch(/cannot reach out of the workspace/);
    expect(problems({ artifactPaths: Array.from({ length: 33 }, (_, i) => `f${i}`).join("\n") })["spec.artifact_paths"]).toMatch(/At most 32/);
    expect(problems({ artifactPaths: "out/**/*.png\nreport.md" })).toEqual({});
  });

  it("holds the setup script to 64 KiB of UTF-8", () => {
    expect(problems({ setupScript: "é".repeat(32_769) })["spec.setup_script"]).toMatch(/at most 64 KiB/);
    expect(problems({ setupScript: "x".repeat(65_536) })).toEqual({});
  });
});
