import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { FieldPathSchema, ViolationsSchema, type FieldPathElement } from "../src/gen/buf/validate/validate_pb";
import { RunService, type CreateRunRequest } from "../src/gen/flightcontrol/v1/run_pb";
import { JobService } from "../src/gen/flightcontrol/v1/job_pb";
import { CredentialService } from "../src/gen/flightcontrol/v1/credential_pb";
import { NewRunPage } from "../src/pages/NewRunPage";
import { JobEditPage } from "../src/pages/JobEditPage";
import { FieldErrors, parseError } from "../src/lib/errors";
import { mockTransport, renderPage, TEST_KEY } from "./support/render";

type El = MessageInitShape<typeof FieldPathSchema>["elements"] extends (infer E)[] | undefined ? E : never;

/** `spec.extensions[0].stdio.command` → FieldPath elements, as protovalidate builds them. */
function path(...parts: (string | [string, number] | [string, string])[]): MessageInitShape<typeof FieldPathSchema> {
  const elements: El[] = parts.map((p) => {
    if (typeof p === "string") return { fieldName: p };
    const [fieldName, sub] = p;
    return typeof sub === "number"
      ? { fieldName, subscript: { case: "index", value: BigInt(sub) } }
      : { fieldName, subscript: { case: "stringKey", value: sub } };
  });
  return { elements: elements as FieldPathElement[] };
}

function invalid(
  violations: { field: MessageInitShape<typeof FieldPathSchema>; message: string; ruleId?: string; forKey?: boolean }[],
): ConnectError {
  return new ConnectError("validation error", Code.InvalidArgument, undefined, [
    {
      desc: ViolationsSchema,
      value: create(ViolationsSchema, { violations: violations.map((v) => ({ ...v, field: create(FieldPathSchema, v.field) })) }),
    },
  ]);
}

const credentials = () => ({
  listCredentials: () => ({
    credentials: [{ id: "3f1e2d4c-1111-4222-8333-444455556666", name: "OpenAI", envNames: ["OPENAI_API_KEY"] }],
  }),
});

function fieldError(name: string): HTMLElement | null {
  return document.querySelector(`[data-field-error='${CSS.escape(name)}']`);
}

describe("form validation errors", () => {
  // Typing key by key into the whole spec form (repository section included) takes several seconds
  // on a loaded 2-core machine: the 20 s limit is for that, not for the behaviour.
  it("shows each InvalidArgument violation next to its field in the new-run form", async () => {
    const user = userEvent.setup();
    const requests: CreateRunRequest[] = [];
    let auth: string | null = null;
    const transport = mockTransport((r) => {
      r.service(CredentialService, credentials());
      r.service(RunService, {
        createRun(req, ctx) {
          requests.push(req);
          auth = ctx.requestHeader.get("Authorization");
          throw invalid([
            { field: path("name"), message: "value length must be at most 100 characters", ruleId: "string.max_len" },
            { field: path("spec", "prompt"), message: "value length must be at least 1 characters", ruleId: "string.min_len" },
            { field: path("spec", ["extensions", 0], "stdio", "command"), message: "value length must be at least 1 characters" },
            { field: path("spec", ["required_labels", "bad key"]), message: "value does not match regex pattern", forKey: true },
            { field: path("spec", "max_attempts"), message: "value must be less than or equal to 20" },
            { field: path("some_future_field"), message: "is not allowed here" },
          ]);
        },
      });
    });
    renderPage(<NewRunPage />, { transport, path: "/runs/new" });

    await user.click(await screen.findByRole("button", { name: "+ Add extension" }));
    await user.type(screen.getByRole("textbox", { name: "Name" }), "x".repeat(3));
    const labels = document.querySelector<HTMLElement>("[data-field='spec.required_labels']")!;
    await user.click(within(labels).getByRole("button", { name: "+ Label" }));
    await user.type(screen.getByRole("textbox", { name: "Required labels 1 name" }), "bad key");
    await user.type(screen.getByRole("spinbutton", { name: "Attempts" }), "50");
    await user.click(screen.getByRole("button", { name: "Queue run" }));

    await waitFor(() => expect(fieldError("spec.prompt")).not.toBeNull());
    expect(auth).toBe(`Bearer ${TEST_KEY}`);
    expect(requests[0]?.spec?.maxAttempts).toBe(50);
    expect(requests[0]?.spec?.requiredLabels).toEqual({ "bad key": "" });

    // Each message sits inside the field it belongs to, and the control is marked invalid.
    const prompt = document.querySelector<HTMLElement>("[data-field='spec.prompt']")!;
    expect(within(prompt).getByText("value length must be at least 1 characters")).toBeInTheDocument();
    expect(within(prompt).getByRole("textbox")).toHaveAttribute("aria-invalid", "true");
    expect(within(prompt).getByRole("textbox")).toHaveAccessibleDescription("value length must be at least 1 characters");

    expect(fieldError("name")).toHaveTextContent("value length must be at most 100 characters");
    expect(fieldError("spec.extensions[0].stdio.command")).toHaveTextContent("value length must be at least 1 characters");
    expect(fieldError("spec.required_labels")).toHaveTextContent('["bad key"]: value does not match regex pattern');
    expect(fieldError("spec.max_attempts")).toHaveTextContent("value must be less than or equal to 20");
    // Fields without a violation stay clean.
    expect(fieldError("spec.model")).toBeNull();
    expect(screen.getByRole("combobox", { name: "Model" })).toHaveAttribute("aria-invalid", "false");

    // A violation the form has no field for still reaches the user.
    const banner = screen.getByRole("alert");
    expect(banner).toHaveTextContent("some_future_field");
    expect(banner).toHaveTextContent("is not allowed here");
    expect(banner).not.toHaveTextContent("spec.prompt");
  }, 20_000);

  it("maps the readable text of older servers that send no Violations details", async () => {
    const user = userEvent.setup();
    const transport = mockTransport((r) => {
      r.service(CredentialService, credentials());
      r.service(RunService, {
        createRun() {
          throw new ConnectError(
            "validation error:\n - spec.prompt: value length must be at least 1 characters [string.min_len]\n - spec.agent: value must be in list [goose, claude-code, codex, shell] [string.in]",
            Code.InvalidArgument,
          );
        },
      });
    });
    renderPage(<NewRunPage />, { transport, path: "/runs/new" });
    await user.click(await screen.findByRole("button", { name: "Queue run" }));
    await waitFor(() => expect(fieldError("spec.prompt")).toHaveTextContent("value length must be at least 1 characters"));
    expect(fieldError("spec.agent")).toHaveTextContent("value must be in list [goose, claude-code, codex, shell]");
  });

  it("shows AlreadyExists, NotFound and PermissionDenied as a message on the form", async () => {
    const user = userEvent.setup();
    const codes = [
      [Code.AlreadyExists, "a job named nightly already exists", /Already exists: a job named nightly already exists/],
      [Code.PermissionDenied, "viewer keys cannot create jobs", /Permission denied: viewer keys cannot create jobs/],
      [Code.NotFound, "credential 3f1e… not found", /Not found: credential 3f1e… not found/],
    ] as const;
    let call = 0;
    const transport = mockTransport((r) => {
      r.service(CredentialService, credentials());
      r.service(JobService, {
        createJob() {
          const [code, msg] = codes[call++]!;
          throw new ConnectError(msg, code);
        },
      });
    });
    renderPage(<JobEditPage />, { transport, path: "/jobs/new" });
    await user.type(await screen.findByRole("textbox", { name: "Name" }), "nightly");
    for (const [, , shown] of codes) {
      await user.click(screen.getByRole("button", { name: "Create job" }));
      await waitFor(() => expect(screen.getByRole("alert")).toHaveTextContent(shown));
    }
  });
});

describe("parseError", () => {
  it("turns FieldPaths with list indexes and map keys into dotted paths", () => {
    const err = invalid([
      { field: path("spec", ["extensions", 2], "streamable_http", "url"), message: "value must be a valid URI" },
      { field: path("spec", ["required_labels", "gpu"]), message: "too long" },
    ]);
    const parsed = parseError(err);
    expect(parsed.code).toBe(Code.InvalidArgument);
    expect(parsed.message).toBe("");
    expect(parsed.violations.map((v) => v.path)).toEqual(["spec.extensions[2].streamable_http.url", 'spec.required_labels["gpu"]']);
    const fe = new FieldErrors(parsed);
    expect(fe.get("spec.extensions")).toBeUndefined();
    expect(fe.get("spec.extensions", true)).toBe("[2].streamable_http.url: value must be a valid URI");
    expect(fe.get("spec.extensions[2].streamable_http.url")).toBe("value must be a valid URI");
    // A prefix must end at a path boundary: `spec.required` is not `spec.required_labels`.
    expect(fe.get("spec.required", true)).toBeUndefined();
    expect(fe.unclaimed(["spec.extensions"]).map((v) => v.path)).toEqual(['spec.required_labels["gpu"]']);
  });
});
