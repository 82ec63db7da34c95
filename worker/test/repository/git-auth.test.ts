import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { createGitAuth } from "../../src/repository/git-auth";
import { lastMeaningfulLine } from "../../src/repository/git";
import { parseNumstat } from "../../src/repository/changes";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAfakekeymaterial\n-----END OPENSSH PRIVATE KEY-----";

describe("git authentication files", () => {
  it("gives no environment without a token or key", async () => {
    const auth = await createGitAuth({ OTHER: "x" });
    expect(auth.env).toEqual({});
  });

  it("answers git's prompts from git's environment only, in a private directory removed afterwards", async () => {
    const auth = await createGitAuth({ GIT_TOKEN: "tok-123" });
    const askpass = auth.env.GIT_ASKPASS;
    expect(statSync(dirname(askpass)).mode & 0o777).toBe(0o700);
    expect(readFileSync(askpass, "utf8")).not.toContain("tok-123");
    expect(auth.env).toMatchObject({ FC_GIT_TOKEN: "tok-123", FC_GIT_USERNAME: "x-access-token" });
    await auth.dispose();
    expect(existsSync(dirname(askpass))).toBe(false);
  });

  it("puts an SSH key in a 0600 file that GIT_SSH_COMMAND names, never the key itself", async () => {
    const auth = await createGitAuth({ GIT_SSH_KEY: KEY, GIT_SSH_KNOWN_HOSTS: "example.com ssh-ed25519 AAAAC3Nza" });
    const cmd = auth.env.GIT_SSH_COMMAND;
    expect(cmd).toMatch(/^ssh -i '[^']+\/id' -o IdentitiesOnly=yes -o BatchMode=yes -o UserKnownHostsFile='[^']+' -o StrictHostKeyChecking=yes$/);
    expect(cmd).not.toContain("fakekeymaterial");
    const keyFile = /-i '([^']+)'/.exec(cmd)![1];
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyFile, "utf8")).toBe(`${KEY}\n`);
    await auth.dispose();
    expect(existsSync(keyFile)).toBe(false);
  });
});

describe("reading git's output", () => {
  it("quotes the line that says why, not the wrap-up after it", () => {
    expect(lastMeaningfulLine("Cloning into 'x'...\nfatal: repository 'http://h/x.git/' not found\n")).toBe(
      "fatal: repository 'http://h/x.git/' not found",
    );
    expect(
      lastMeaningfulLine(
        "To git://h/r.git\n ! [remote rejected] b -> b (pre-receive hook declined)\nerror: failed to push some refs to 'git://h/r.git'\n",
      ),
    ).toBe("! [remote rejected] b -> b (pre-receive hook declined)");
    expect(lastMeaningfulLine("fatal: unable to connect to h:\nh: Name or service not known\nfatal: the remote end hung up unexpectedly\n")).toBe(
      "h: Name or service not known",
    );
  });

  it("counts numstat lines, binary files as changed files without lines", () => {
    expect(parseNumstat("3\t1\ta.txt\0-\t-\tb.bin\x000\t5\tdir/c d.txt\0")).toEqual({
      filesChanged: 3,
      insertions: 3,
      deletions: 6,
      binaryFiles: ["b.bin"],
    });
    expect(parseNumstat("")).toEqual({ filesChanged: 0, insertions: 0, deletions: 0, binaryFiles: [] });
  });
});
