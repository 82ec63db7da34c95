import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { ApiKeyService, Role } from "../src/gen/flightcontrol/v1/api_key_pb";
import { MemberSchema, WorkspaceService, type Member } from "../src/gen/flightcontrol/v1/workspace_pb";
import { MembersPage } from "../src/pages/MembersPage";
import { apiKey, mockTransport, renderPage } from "./support/render";

const WS = "0198a000-0000-7000-8000-0000000000a1";

/** A workspace's member list the page edits, as the server keeps it (in email order). */
function membersServer(role: Role) {
  const members = new Map<string, Member>();
  const put = (email: string, r: Role) =>
    members.set(email, create(MemberSchema, { workspaceId: WS, email, role: r, createTime: timestampFromMs(Date.now() - 3_600_000) }));
  put("ada@example.com", Role.ADMIN);
  put("bob@example.com", Role.VIEWER);
  const transport = mockTransport((r) => {
    r.service(ApiKeyService, { whoAmI: () => ({ apiKey: apiKey(Role.ADMIN), workspaceId: WS, role }) });
    r.service(WorkspaceService, {
      listMembers(req) {
        if (req.workspaceId !== WS) throw new ConnectError("workspace not found", Code.NotFound);
        return { members: [...members.values()].sort((a, b) => a.email.localeCompare(b.email)) };
      },
      addMember(req) {
        if (members.has(req.email)) throw new ConnectError(`${req.email} is already a member`, Code.AlreadyExists);
        put(req.email, req.role);
        return { member: members.get(req.email) };
      },
      updateMember(req) {
        put(req.email, req.role);
        return { member: members.get(req.email) };
      },
      removeMember(req) {
        members.delete(req.email);
        return {};
      },
    });
  }, null);
  return { transport, members };
}

const row = (email: string) => document.querySelector(`[data-member="${email}"]`) as HTMLElement;

describe("members page", () => {
  it("lists members with their role and when they were added", async () => {
    const { transport } = membersServer(Role.ADMIN);
    renderPage(<MembersPage />, { transport, path: "/members" });
    await screen.findByText("ada@example.com");
    expect(within(row("bob@example.com")).getByRole("combobox", { name: "Role of bob@example.com" })).toHaveValue(String(Role.VIEWER));
    expect(within(row("bob@example.com")).getByText(/^1 h.* ago$/)).toBeInTheDocument();
  });

  it("lets a workspace admin add, re-role and remove members, and shows the server's refusal", async () => {
    const { transport, members } = membersServer(Role.ADMIN);
    const user = userEvent.setup();
    renderPage(<MembersPage />, { transport, path: "/members" });
    await screen.findByText("ada@example.com");

    await user.type(screen.getByRole("textbox", { name: "Email" }), "cy@example.com");
    await user.selectOptions(screen.getByRole("combobox", { name: "Role" }), "operator");
    await user.click(screen.getByRole("button", { name: "Add member" }));
    await waitFor(() => expect(row("cy@example.com")).toBeTruthy());
    expect(members.get("cy@example.com")?.role).toBe(Role.OPERATOR);

    await user.type(screen.getByRole("textbox", { name: "Email" }), "ada@example.com");
    await user.click(screen.getByRole("button", { name: "Add member" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("ada@example.com is already a member");

    await user.selectOptions(within(row("bob@example.com")).getByRole("combobox"), "admin");
    await waitFor(() => expect(members.get("bob@example.com")?.role).toBe(Role.ADMIN));

    await user.click(within(row("bob@example.com")).getByRole("button", { name: "Remove" }));
    await user.click(within(row("bob@example.com")).getByRole("button", { name: "Remove?" }));
    await waitFor(() => expect(row("bob@example.com")).toBeNull());
    expect(members.has("bob@example.com")).toBe(false);
  });

  it("is read-only for operators and viewers of the workspace", async () => {
    const { transport } = membersServer(Role.OPERATOR);
    renderPage(<MembersPage />, { transport, path: "/members" });
    await screen.findByText("bob@example.com");
    expect(within(row("bob@example.com")).getByText("viewer")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Add member" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Remove" })).toBeNull();
    expect(screen.queryByRole("combobox")).toBeNull();
  });
});
