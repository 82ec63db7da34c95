import { EntitySchema } from "typeorm";
import { bool, epochMs, id, str } from "../columns";

/** Someone who signs in through the identity provider (OpenID Connect). */
export interface PersonRow {
  id: string;
  /** Lower case; workspace memberships name people by it. */
  email: string;
  /** The provider's issuer and subject: who this is, whatever their email becomes. */
  issuer: string;
  subject: string;
  name: string;
  /** May create and delete workspaces and act in any of them. */
  instanceAdmin: boolean;
  createdAt: number;
  lastSignInAt: number;
}

/**
 * A signed-in browser. The cookie carries a random token; only its SHA-256 is stored, so a copy of
 * the database cannot be used to sign in.
 */
export interface SessionRow {
  tokenHash: string;
  personId: string;
  createdAt: number;
  expiresAt: number;
}

export const PersonEntity = new EntitySchema<PersonRow>({
  name: "Person",
  tableName: "people",
  columns: {
    id: id(),
    email: { ...str(254), unique: true },
    issuer: str(500),
    subject: str(255),
    name: str(200),
    instanceAdmin: { ...bool(), name: "instance_admin" },
    createdAt: { ...epochMs(), name: "created_at" },
    lastSignInAt: { ...epochMs(), name: "last_sign_in_at" },
  },
  // Who someone is: their provider's subject, not their email (which they may be able to change).
  indices: [{ name: "idx_people_identity", columns: ["issuer", "subject"], unique: true }],
});

export const SessionEntity = new EntitySchema<SessionRow>({
  name: "Session",
  tableName: "sessions",
  columns: {
    tokenHash: { ...str(64), primary: true, name: "token_hash" },
    personId: { ...str(36), name: "person_id" },
    createdAt: { ...epochMs(), name: "created_at" },
    expiresAt: { ...epochMs(), name: "expires_at" },
  },
  // Deleting a person ends their sessions in the database itself.
  relations: {
    person: { type: "many-to-one", target: "Person", joinColumn: { name: "person_id" }, onDelete: "CASCADE" },
  } as never,
  indices: [
    { name: "idx_sessions_expires_at", columns: ["expiresAt"] },
    // A person's sessions: counted and ended by PersonService.
    { name: "idx_sessions_person_id", columns: ["personId"] },
  ],
});
