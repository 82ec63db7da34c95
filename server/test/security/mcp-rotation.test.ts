import { DEFAULT_WORKSPACE_ID } from "../../src/storage/entities";
import { storedSpec } from "../../src/domain/specs/stored-spec";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { afterAll, describe, expect, it } from "vitest";
import { generateFernetKey, parseFernetKeys } from "../../src/domain/crypto/fernet";
import { createMcpSecrets } from "../../src/domain/mcp/secrets";
import { JobSpecSchema } from "../../src/gen/flightcontrol/v1/spec_pb";
import { specFromJson } from "../../src/storage/codecs";
import { openDatabase } from "../../src/storage/data-source";
import { createJobStore } from "../../src/storage/job-store";
import { resealSealedSpecs } from "../../src/storage/spec-reseal";

const dir = mkdtempSync(join(tmpdir(), "fc-mcp-rotate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("master key rotation", () => {
  it("re-encrypts the MCP literals sealed in stored specs, so the old key can be dropped", async () => {
    const oldKey = generateFernetKey();
    const newKey = generateFernetKey();
    const db = await openDatabase(`sqlite:${join(dir, "fc.db")}`);
    const spec = create(JobSpecSchema, {
      agent: "goose",
      prompt: "p",
      extensions: [
        {
          name: "x",
          transport: {
            case: "streamableHttp",
            value: { url: "http://x", headers: { "X-Key": "literal-SECRET-1234", A: "Bearer ${credential:c/V}" } },
          },
        },
      ],
    });
    const sealed = createMcpSecrets(parseFernetKeys(oldKey)).seal(spec);
    await createJobStore(db).insert({
      id: "0190cccc-0000-7000-8000-000000000001",
      name: "j",
      description: "",
      ...storedSpec(sealed),
      createdAt: 1,
      updatedAt: 1,
      workspaceId: DEFAULT_WORKSPACE_ID,
    });

    expect(await resealSealedSpecs(db, createMcpSecrets(parseFernetKeys(`${newKey},${oldKey}`)).rotateJson)).toBe(1);
    const [{ spec: stored }] = await db.dataSource.query("SELECT spec FROM job_definitions");
    expect(stored).not.toContain("literal-SECRET-1234");
    const opened = createMcpSecrets(parseFernetKeys(newKey)).resolve(specFromJson(stored), () => "token");
    const t = opened.extensions[0].transport;
    expect(t.case === "streamableHttp" && t.value.headers).toEqual({ "X-Key": "literal-SECRET-1234", A: "Bearer token" });
    await db.dataSource.destroy();
  });
});
