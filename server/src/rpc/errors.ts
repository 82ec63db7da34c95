import { Code, ConnectError } from "@connectrpc/connect";
import { type DomainErrorKind, isDomainError } from "../domain/errors";

const codeOf: Record<DomainErrorKind, Code> = {
  invalid_argument: Code.InvalidArgument,
  unauthenticated: Code.Unauthenticated,
  not_found: Code.NotFound,
  already_exists: Code.AlreadyExists,
  failed_precondition: Code.FailedPrecondition,
  permission_denied: Code.PermissionDenied,
  resource_exhausted: Code.ResourceExhausted,
  unavailable: Code.Unavailable,
};

/** The one place a domain error becomes a ConnectError; anything else passes through unchanged. */
export function toConnectError(err: unknown): unknown {
  if (isDomainError(err)) return new ConnectError(err.message, codeOf[err.kind], undefined, undefined, err);
  return err;
}
