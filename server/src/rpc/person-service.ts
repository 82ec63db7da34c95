import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { PersonSchema } from "../gen/flightcontrol/v1/api_key_pb";
import type { PersonService } from "../gen/flightcontrol/v1/person_pb";
import type { ListedPerson, People, PeopleCaller } from "../domain/auth/people";
import { decodeCursor, encodeCursor, personToProto } from "./convert";
import { fillPage } from "./fill-page";
import { principalKey } from "./interceptors/auth";

export interface PersonServiceDeps {
  people: People;
}

/** PersonService: who may do what is domain/auth/people.ts's business; this maps requests to it. */
export function personService({ people }: PersonServiceDeps): ServiceImpl<typeof PersonService> {
  // The gate has put the principal there for every RPC of this (non-public) service.
  const caller = (ctx: HandlerContext): PeopleCaller => {
    const p = ctx.values.get(principalKey)!;
    return { instanceAdmin: p.workspaceId === null, personId: p.person?.id };
  };

  return {
    async listPeople(req, ctx) {
      const who = caller(ctx);
      const page = await fillPage(
        {
          read: (afterEmail: string | undefined, limit: number) => people.page(who, afterEmail, limit),
          cursorOf: (p: ListedPerson) => p.email,
          toProto: (p: ListedPerson) => personToProto(p, p.activeSessions),
          schema: PersonSchema,
          chunk: 100,
        },
        decodeCursor(req.pageToken),
        req.pageSize || 50,
      );
      return { people: page.items, nextPageToken: page.next ? encodeCursor(page.next) : "" };
    },
    async endSessions(req, ctx) {
      return { endedSessions: await people.endSessions(caller(ctx), req.personId) };
    },
    async deletePerson(req, ctx) {
      await people.remove(caller(ctx), req.id);
      return {};
    },
  };
}
