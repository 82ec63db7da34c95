import "@testing-library/jest-dom/vitest";
import { afterEach } from "vitest";
import { cleanup } from "@testing-library/react";
import { setWorkspaceId } from "../src/lib/workspace-store";

afterEach(() => {
  cleanup();
  localStorage.clear();
  // The selected workspace lives in memory, like the page's own session.
  setWorkspaceId(null);
});

// jsdom does no layout. The log viewer's scroller gets a fixed viewport and a scroll height
// equal to its virtual content, which is what a browser would report.
import { SCROLLER_HEIGHT } from "./support/layout";
Object.defineProperty(HTMLElement.prototype, "clientHeight", {
  configurable: true,
  get(this: HTMLElement) {
    return this.hasAttribute("data-log-scroller") ? SCROLLER_HEIGHT : 0;
  },
});
Object.defineProperty(HTMLElement.prototype, "scrollHeight", {
  configurable: true,
  get(this: HTMLElement) {
    if (!this.hasAttribute("data-log-scroller")) return 0;
    const inner = this.firstElementChild as HTMLElement | null;
    return Math.max(SCROLLER_HEIGHT, parseFloat(inner?.style.height ?? "") || 0);
  },
});
