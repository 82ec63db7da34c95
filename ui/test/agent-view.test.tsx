import { describe, expect, it } from "vitest";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { AgentView } from "../src/components/AgentView";
import { AgentEventSchema, RunOutputSchema, UsageSchema } from "../src/gen/flightcontrol/v1/run_pb";
import { RunOutputStore } from "../src/lib/run-output-store";

type EventInit = MessageInitShape<typeof AgentEventSchema>;

function storeOf(events: EventInit[]): RunOutputStore {
  const store = new RunOutputStore();
  store.append(
    events.map((e, i) =>
      create(RunOutputSchema, {
        seq: BigInt(i + 1),
        time: timestampFromMs(1_700_000_000_000 + i * 1000),
        payload: { case: "event", value: create(AgentEventSchema, e) },
      }),
    ),
  );
  return store;
}

const session: EventInit[] = [
  { kind: { case: "assistantMessage", value: { messageId: "m1", text: "I'll look at the " } } },
  { kind: { case: "assistantMessage", value: { messageId: "m1", text: "repository first." } } },
  { kind: { case: "toolCall", value: { callId: "c1", name: "developer__shell", argumentsJson: '{"command":"ls -la","cwd":"/tmp"}' } } },
  { kind: { case: "notification", value: { source: "developer", message: "running shell command" } } },
  { kind: { case: "toolResult", value: { callId: "c1", output: "README.md\npackage.json", isError: false } } },
  { kind: { case: "toolCall", value: { callId: "c2", name: "developer__text_editor", argumentsJson: '{"path":"/nope"}' } } },
  { kind: { case: "toolResult", value: { callId: "c2", output: "file not found", isError: true } } },
  { kind: { case: "assistantMessage", value: { messageId: "m2", text: "Done: the repo has a README." } } },
  { kind: { case: "usage", value: { inputTokens: 1200n, outputTokens: 345n, totalTokens: 1545n, costUsd: 0.0123 } } },
];

describe("AgentView", () => {
  it("shows assistant messages, joining chunks of the same message", () => {
    const store = storeOf(session);
    render(<AgentView events={store.events} count={store.events.length} />);
    const messages = document.querySelectorAll("[data-agent='assistant']");
    expect(messages).toHaveLength(2);
    expect(messages[0]).toHaveTextContent("I'll look at the repository first.");
    expect(messages[1]).toHaveTextContent("Done: the repo has a README.");
    expect(screen.getByText("running shell command")).toBeInTheDocument();
  });

  it("collapses tool calls to one line and expands them to arguments and result", async () => {
    const user = userEvent.setup();
    const store = storeOf(session);
    render(<AgentView events={store.events} count={store.events.length} />);

    const shell = document.querySelector<HTMLElement>("[data-tool-call='c1']")!;
    const toggle = within(shell).getByRole("button");
    expect(toggle).toHaveAttribute("aria-expanded", "false");
    expect(shell.querySelector("[data-tool-name]")).toHaveTextContent("developer__shell");
    // Collapsed, the arguments read as key: value pairs.
    expect(toggle).toHaveTextContent("command: ls -la · cwd: /tmp");
    expect(within(shell).getByText("ok")).toBeInTheDocument();
    expect(within(shell).queryByTestId("tool-args")).toBeNull();
    expect(within(shell).queryByTestId("tool-result")).toBeNull();

    await user.click(toggle);
    expect(toggle).toHaveAttribute("aria-expanded", "true");
    // Arguments are pretty-printed JSON.
    expect(within(shell).getByTestId("tool-args").textContent).toBe(JSON.stringify({ command: "ls -la", cwd: "/tmp" }, null, 2));
    expect(within(shell).getByTestId("tool-result")).toHaveTextContent("README.md package.json");

    await user.click(toggle);
    expect(within(shell).queryByTestId("tool-args")).toBeNull();

    // A failed tool call is marked as an error, and its output is labelled so.
    const editor = document.querySelector<HTMLElement>("[data-tool-call='c2']")!;
    expect(within(editor).getByText("error")).toBeInTheDocument();
    await user.click(within(editor).getByRole("button"));
    expect(within(editor).getByTestId("tool-result")).toHaveTextContent("file not found");
    expect(within(editor).getByText("Error")).toBeInTheDocument();
  });

  it("marks a tool call without a result as running, or as unanswered once the run ended", () => {
    const store = storeOf([{ kind: { case: "toolCall", value: { callId: "c9", name: "slow_tool", argumentsJson: "{}" } } }]);
    const { rerender } = render(<AgentView events={store.events} count={store.events.length} />);
    expect(screen.getByText("running")).toBeInTheDocument();
    rerender(<AgentView events={store.events} count={store.events.length} finished />);
    expect(screen.getByText("no result")).toBeInTheDocument();
  });

  it("shows token usage and cost from usage events", () => {
    const store = storeOf(session);
    render(<AgentView events={store.events} count={store.events.length} />);
    const summary = screen.getByTestId("usage-summary");
    expect(within(summary).getByText("1,200")).toHaveAttribute("data-usage", "input");
    expect(within(summary).getByText("345")).toHaveAttribute("data-usage", "output");
    expect(within(summary).getByText("1,545")).toHaveAttribute("data-usage", "total");
    expect(within(summary).getByText("$0.0123")).toHaveAttribute("data-usage", "cost");
  });

  it("prefers the run's final usage over intermediate usage events", () => {
    const store = storeOf(session);
    const runUsage = create(UsageSchema, { inputTokens: 50_000n, outputTokens: 2_000n, totalTokens: 52_000n, costUsd: 1.5 });
    render(<AgentView events={store.events} count={store.events.length} runUsage={runUsage} result="All done." />);
    const summary = screen.getByTestId("usage-summary");
    expect(within(summary).getByText("50.0k")).toBeInTheDocument();
    expect(within(summary).getByText("$1.50")).toBeInTheDocument();
    expect(screen.getByText("All done.")).toBeInTheDocument();
  });

  it("updates as more events arrive in the same store", () => {
    const store = storeOf(session.slice(0, 3));
    const { rerender } = render(<AgentView events={store.events} count={store.events.length} />);
    expect(screen.getByText("running")).toBeInTheDocument();
    store.append([
      create(RunOutputSchema, {
        seq: 10n,
        payload: {
          case: "event",
          value: create(AgentEventSchema, { kind: { case: "toolResult", value: { callId: "c1", output: "ok!", isError: false } } }),
        },
      }),
    ]);
    rerender(<AgentView events={store.events} count={store.events.length} />);
    expect(screen.queryByText("running")).toBeNull();
    expect(screen.getByText("ok")).toBeInTheDocument();
  });
});
