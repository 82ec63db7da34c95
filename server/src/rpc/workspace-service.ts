import { create } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { MemberSchema, WorkspaceSchema, type Member, type WorkspaceService, type Workspace } from "../gen/flightcontrol/v1/workspace_pb";
import { roleFromColumn } from "../domain/auth/api-keys";
import type { Workspaces } from "../domain/workspaces/workspaces";
import type { WorkspaceMemberRow, WorkspaceRow } from "../storage/entities";
import { ts } from "./convert";
import { principalKey } from "./interceptors/auth";

export interface WorkspaceServiceDeps {
  workspaces: Workspaces;
}

const workspaceToProto = (row: WorkspaceRow): Workspace =>
  create(WorkspaceSchema, {
    id: row.id,
    name: row.name,
    createTime: ts(row.createdAt),
    updateTime: ts(row.updatedAt),
    maxConcurrentRuns: row.maxConcurrentRuns,
    maxQueuedRuns: row.maxQueuedRuns,
  });

const memberToProto = (row: WorkspaceMemberRow): Member =>
  create(MemberSchema, { workspaceId: row.workspaceId, email: row.email, role: roleFromColumn(row.role), createTime: ts(row.createdAt) });

/** WorkspaceService: the caller (its key, or a person's memberships) decides which workspaces it sees (domain/workspaces/workspaces.ts). */
export function workspaceService({ workspaces }: WorkspaceServiceDeps): ServiceImpl<typeof WorkspaceService> {
  // The gate has put the principal there for every RPC of this (non-public) service.
  const caller = (ctx: HandlerContext) => {
    const p = ctx.values.get(principalKey)!;
    return { workspaceId: p.workspaceId, memberOf: p.memberOf };
  };

  return {
    async createWorkspace(req, ctx) {
      const limits = { maxConcurrentRuns: req.maxConcurrentRuns, maxQueuedRuns: req.maxQueuedRuns };
      return { workspace: workspaceToProto(await workspaces.create(caller(ctx), req.name, limits)) };
    },
    async getWorkspace(req, ctx) {
      return { workspace: workspaceToProto(await workspaces.get(caller(ctx), req.id)) };
    },
    async listWorkspaces(_req, ctx) {
      return { workspaces: (await workspaces.list(caller(ctx))).map(workspaceToProto) };
    },
    async updateWorkspace(req, ctx) {
      const patch = { name: req.name, maxConcurrentRuns: req.maxConcurrentRuns, maxQueuedRuns: req.maxQueuedRuns };
      return { workspace: workspaceToProto(await workspaces.update(caller(ctx), req.id, patch)) };
    },
    async deleteWorkspace(req, ctx) {
      await workspaces.remove(caller(ctx), req.id, req.cascade);
      return {};
    },
    async addMember(req, ctx) {
      return { member: memberToProto(await workspaces.addMember(caller(ctx), req.workspaceId, req.email, req.role)) };
    },
    async listMembers(req, ctx) {
      return { members: (await workspaces.members(caller(ctx), req.workspaceId)).map(memberToProto) };
    },
    async updateMember(req, ctx) {
      return { member: memberToProto(await workspaces.updateMember(caller(ctx), req.workspaceId, req.email, req.role)) };
    },
    async removeMember(req, ctx) {
      await workspaces.removeMember(caller(ctx), req.workspaceId, req.email);
      return {};
    },
  };
}
