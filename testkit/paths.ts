import { join, resolve } from "node:path";

/** The repository root, whichever suite or script imports this. */
export const REPO = resolve(import.meta.dirname, "..");

/** The fake agent CLIs the worker's tests ship: scripted goose, claude and codex that record what they ran. */
export const FIXTURES = join(REPO, "worker/test/fixtures");
export const FAKE_GOOSE = join(FIXTURES, "fake-goose");
export const FAKE_CLAUDE = join(FIXTURES, "fake-claude");
export const FAKE_CODEX = join(FIXTURES, "fake-codex");
/** A minimal stdio MCP server, for jobs whose extensions must start (the fake CLIs check that a command exists). */
export const FAKE_MCP_SERVER = join(FIXTURES, "fake-mcp-server");
