import { describe, expect, it } from "vitest";
import { act, fireEvent, render, screen } from "@testing-library/react";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { LogViewer, LOG_ROW_HEIGHT } from "../src/components/LogViewer";
import { LogStream, RunOutputSchema, type RunOutput } from "../src/gen/flightcontrol/v1/run_pb";
import { RunOutputStore } from "../src/lib/run-output-store";
import { SCROLLER_HEIGHT } from "./support/layout";

function logItem(seq: number, text: string, stream = LogStream.STDOUT): RunOutput {
  return create(RunOutputSchema, {
    seq: BigInt(seq),
    time: timestampFromMs(1_700_000_000_000 + seq),
    payload: { case: "log", value: { stream, text } },
  });
}

function storeWith(n: number, from = 1): RunOutputStore {
  const store = new RunOutputStore();
  store.append(Array.from({ length: n }, (_, i) => logItem(from + i, `line ${from + i}`)));
  return store;
}

const scroller = () => document.querySelector<HTMLElement>("[data-log-scroller]")!;
const renderedLines = () => document.querySelectorAll("[data-line]");

describe("LogViewer", () => {
  it("renders log lines with their stream styling", () => {
    const store = new RunOutputStore();
    store.append([logItem(1, "hello world"), logItem(2, "something broke", LogStream.STDERR), logItem(3, "attempt 1 started", LogStream.SYSTEM)]);
    render(<LogViewer lines={store.lines} count={store.lines.length} />);
    expect(screen.getByText("hello world")).toBeInTheDocument();
    expect(screen.getByText("something broke").closest("[data-line]")).toHaveAttribute("data-kind", "stderr");
    expect(screen.getByText("attempt 1 started").closest("[data-line]")).toHaveAttribute("data-kind", "system");
    expect(screen.getByTestId("log-line-count")).toHaveTextContent("3 lines");
  });

  it("renders ANSI colours and decorations as styled spans without the escape codes", () => {
    const store = new RunOutputStore();
    store.append([
      logItem(1, "\u001b[31merror:\u001b[0m \u001b[1;32mok\u001b[0m \u001b[38;5;208morange\u001b[0m \u001b[38;2;10;20;30mtrue\u001b[0m"),
    ]);
    render(<LogViewer lines={store.lines} count={store.lines.length} />);
    const red = screen.getByText("error:");
    expect(red.tagName).toBe("SPAN");
    expect(red).toHaveClass("ansi-red-fg");
    const green = screen.getByText("ok");
    expect(green).toHaveClass("ansi-green-fg", "ansi-bold");
    expect(screen.getByText("orange")).toHaveStyle({ color: "rgb(255, 135, 0)" });
    expect(screen.getByText("true")).toHaveStyle({ color: "rgb(10, 20, 30)" });
    expect(document.querySelector("[data-line='1']")!.textContent).not.toContain("\u001b");
  });

  it("virtualises 100,000 lines: only the visible window is in the DOM", () => {
    const store = storeWith(100_000);
    const t0 = performance.now();
    render(<LogViewer lines={store.lines} count={store.lines.length} />);
    const elapsed = performance.now() - t0;
    expect(screen.getByTestId("log-line-count")).toHaveTextContent("100,000 lines");
    const rows = renderedLines().length;
    expect(rows).toBeGreaterThan(0);
    expect(rows).toBeLessThan(200);
    // The virtual content is as tall as every line, so the scrollbar is honest.
    const inner = scroller().firstElementChild as HTMLElement;
    expect(parseFloat(inner.style.height)).toBe(100_000 * LOG_ROW_HEIGHT);
    // It followed the tail: once the browser reports the scroll, the last line is on screen.
    expect(scroller().scrollTop).toBe(100_000 * LOG_ROW_HEIGHT);
    act(() => {
      fireEvent.scroll(scroller());
    });
    expect(document.querySelector("[data-line='100000']")).toHaveTextContent("line 100000");
    expect(document.querySelector("[data-line='1']")).toBeNull();
    expect(renderedLines().length).toBeLessThan(200);
    // Generous bound: rendering must not scale with the number of lines.
    expect(elapsed).toBeLessThan(2000);
  });

  it("follows the tail, stops when the user scrolls up, and jumps back on request", () => {
    const store = storeWith(100);
    const { rerender } = render(<LogViewer lines={store.lines} count={store.lines.length} />);
    const el = scroller();
    const bottom = () => el.scrollHeight;
    expect(el.scrollTop).toBe(bottom());
    act(() => {
      fireEvent.scroll(el);
    });

    // New output while following: the view moves to the new bottom.
    store.append(Array.from({ length: 50 }, (_, i) => logItem(101 + i, `line ${101 + i}`)));
    rerender(<LogViewer lines={store.lines} count={store.lines.length} />);
    expect(el.scrollTop).toBe(150 * LOG_ROW_HEIGHT);
    expect(screen.queryByRole("button", { name: /jump to latest/i })).toBeNull();

    // The user scrolls up: following stops and stays stopped as output arrives.
    act(() => {
      el.scrollTop = 20 * LOG_ROW_HEIGHT;
      fireEvent.scroll(el);
    });
    expect(screen.getByText("paused")).toBeInTheDocument();
    store.append(Array.from({ length: 30 }, (_, i) => logItem(151 + i, `line ${151 + i}`)));
    rerender(<LogViewer lines={store.lines} count={store.lines.length} />);
    expect(el.scrollTop).toBe(20 * LOG_ROW_HEIGHT);
    const jump = screen.getByRole("button", { name: /jump to latest \(30 new\)/i });

    // Jump to latest scrolls to the bottom and resumes following.
    fireEvent.click(jump);
    expect(el.scrollTop).toBe(180 * LOG_ROW_HEIGHT);
    expect(el.scrollTop + SCROLLER_HEIGHT).toBeGreaterThanOrEqual(bottom());
    expect(screen.queryByRole("button", { name: /jump to latest/i })).toBeNull();
    expect(screen.getByText("following")).toBeInTheDocument();

    // Scrolling back down to the bottom by hand also resumes following.
    act(() => {
      el.scrollTop = 10 * LOG_ROW_HEIGHT;
      fireEvent.scroll(el);
    });
    expect(screen.getByText("paused")).toBeInTheDocument();
    act(() => {
      el.scrollTop = bottom() - SCROLLER_HEIGHT;
      fireEvent.scroll(el);
    });
    expect(screen.getByText("following")).toBeInTheDocument();
  });

  it("splits multi-line output and keeps only what a terminal shows after carriage returns", () => {
    const store = new RunOutputStore();
    store.append([logItem(1, "first\nsecond\n"), logItem(2, "progress 10%\rprogress 100%")]);
    render(<LogViewer lines={store.lines} count={store.lines.length} />);
    expect(screen.getByTestId("log-line-count")).toHaveTextContent("3 lines");
    expect(screen.getByText("second")).toBeInTheDocument();
    expect(screen.getByText("progress 100%")).toBeInTheDocument();
    expect(screen.queryByText(/progress 10%/)).toBeNull();
  });

  it("ignores items it already holds when a stream replays after reconnecting", () => {
    const store = storeWith(5);
    expect(store.append([logItem(4, "dup"), logItem(5, "dup"), logItem(6, "line 6")])).toBe(true);
    expect(store.lines.map((l) => l.text)).toEqual(["line 1", "line 2", "line 3", "line 4", "line 5", "line 6"]);
    expect(store.lastSeq).toBe(6n);
  });
});
