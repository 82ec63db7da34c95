import { describe, expect, it } from "vitest";
import { useState } from "react";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { KeyValueEditor } from "../src/components/KeyValueEditor";
import { McpExtensionsEditor } from "../src/components/McpExtensionsEditor";
import { FieldErrors } from "../src/lib/errors";
import { emptyExtension, type ExtensionDraft } from "../src/lib/job-spec-draft";
import type { KeyValueRow } from "../src/lib/labels";

function Variables({ initial }: { initial: KeyValueRow[] }) {
  const [rows, setRows] = useState(initial);
  return <KeyValueEditor ariaLabel="Variables" rows={rows} onChange={setRows} />;
}

let latest: ExtensionDraft[] = [];
function Extensions({ initial }: { initial: ExtensionDraft[] }) {
  const [value, setValue] = useState(initial);
  latest = value;
  return <McpExtensionsEditor value={value} onChange={setValue} errors={FieldErrors.of(undefined)} path="spec.extensions" />;
}

describe("list editors", () => {
  it("keeps a key/value row's inputs with it when a row before it is removed", async () => {
    const user = userEvent.setup();
    render(
      <Variables
        initial={[
          { key: "A", value: "1" },
          { key: "B", value: "2" },
          { key: "C", value: "3" },
        ]}
      />,
    );
    const third = screen.getByRole("textbox", { name: "Variables 3 name" });
    expect(third).toHaveValue("C");
    await user.click(screen.getAllByRole("button", { name: "Remove" })[1]);
    // Index keys would have dropped the last row's inputs and shown C in the second row's.
    expect(third).toBeInTheDocument();
    expect(third).toHaveValue("C");
    expect(screen.getAllByRole("textbox").map((i) => (i as HTMLInputElement).value)).toEqual(["A", "1", "C", "3"]);
  });

  it("keeps an extension's fields with it when an extension before it is removed, and switches transport with radios", async () => {
    const user = userEvent.setup();
    render(
      <Extensions
        initial={[
          { ...emptyExtension(), name: "first" },
          { ...emptyExtension(), name: "second" },
        ]}
      />,
    );
    const second = screen.getByDisplayValue("second");
    await user.click(screen.getByRole("button", { name: "Remove extension 1" }));
    expect(second).toBeInTheDocument();
    expect(latest.map((e) => e.name)).toEqual(["second"]);

    const transport = screen.getByRole("group", { name: "Extension 1 transport" });
    expect(within(transport).getByRole("radio", { name: "stdio" })).toBeChecked();
    await user.click(within(transport).getByRole("radio", { name: "HTTP" }));
    expect(within(transport).getByRole("radio", { name: "HTTP" })).toBeChecked();
    expect(latest[0].transport).toBe("streamable_http");
    expect(screen.getByRole("textbox", { name: "URL" })).toBeInTheDocument();
  });
});
