import { InitialSchema1732480000000 } from "./1732480000000-initial-schema";

/** Every migration, oldest first. Listed explicitly so tsx and bundlers need no file globbing. */
export const migrations = [InitialSchema1732480000000];
