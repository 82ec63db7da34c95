import { ConnectError } from "@connectrpc/connect";

/** The ConnectError a call failed with, or undefined if it succeeded: for asserting on refusals. */
export const rejection = (p: Promise<unknown>): Promise<ConnectError | undefined> =>
  p.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );
