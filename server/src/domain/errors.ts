/**
 * The domain's own errors. The domain knows nothing of transport: it throws these, and the RPC edge
 * (`toConnectError`, applied to every handler by one interceptor) maps each kind to a Connect code
 * in one place. The message is
 * written for the person who sent the request: it says what to fix.
 */
export type DomainErrorKind =
  | "invalid_argument"
  | "unauthenticated"
  | "not_found"
  | "already_exists"
  | "failed_precondition"
  | "permission_denied"
  | "resource_exhausted"
  | "unavailable";

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "DomainError";
  }
}

export const invalidArgument = (message: string) => new DomainError("invalid_argument", message);
/** The caller's identity is no longer accepted (e.g. its API key was revoked while a stream was open). */
export const unauthenticated = (message: string) => new DomainError("unauthenticated", message);
export const notFound = (what: string, id: string) => new DomainError("not_found", `${what} ${id} not found`);
export const alreadyExists = (message: string) => new DomainError("already_exists", message);
export const failedPrecondition = (message: string) => new DomainError("failed_precondition", message);
export const permissionDenied = (message: string) => new DomainError("permission_denied", message);
export const resourceExhausted = (message: string) => new DomainError("resource_exhausted", message);
export const unavailable = (message: string, cause?: unknown) => new DomainError("unavailable", message, { cause });

export const isDomainError = (err: unknown): err is DomainError => err instanceof DomainError;
