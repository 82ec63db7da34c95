import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { ViolationsSchema } from "../../gen/buf/validate/validate_pb";
import { CredentialService } from "../../gen/flightcontrol/v1/credential_pb";
import { JobService } from "../../gen/flightcontrol/v1/job_pb";
import { RunService } from "../../gen/flightcontrol/v1/run_pb";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const shown = (key: string) => (ENV_NAME.test(key) ? key : "<not a variable name>");

/** The name as it appears quoted in a message; one that does not even parse (raw control characters) is no variable name. */
function shownQuoted(quoted: string): string {
  try {
    return shown(JSON.parse(`"${quoted}"`) as string);
  } catch {
    return shown("");
  }
}

/** The services whose requests carry env maps: credentials, and MCP extensions in job and run specs. */
const WITH_ENV = new Set([CredentialService.typeName, JobService.typeName, RunService.typeName]);

/**
 * Variable names appear in protovalidate's field paths (env["NAME"]): a credential's, or an MCP
 * extension's (spec.extensions[0].stdio.env["NAME"]). A name that is not a valid variable name may
 * well be a secret pasted into the wrong box: never echo it back. Sits between the auth gate and
 * the validate interceptor.
 */
export const redactCredentialKeys: Interceptor = (next) => async (req) => {
  try {
    return await next(req);
  } catch (err) {
    if (!WITH_ENV.has(req.service.typeName) || !(err instanceof ConnectError) || err.code !== Code.InvalidArgument) throw err;
    const message = err.rawMessage.replace(/env\["((?:[^"\\]|\\.)*)"\]/g, (_m, k: string) => `env[${JSON.stringify(shownQuoted(k))}]`);
    const violations = err.findDetails(ViolationsSchema).flatMap((v) => v.violations);
    for (const v of violations) {
      for (const e of v.field?.elements ?? []) {
        if (e.fieldName === "env" && e.subscript.case === "stringKey") e.subscript.value = shown(e.subscript.value);
      }
    }
    const details = violations.length ? [{ desc: ViolationsSchema, value: create(ViolationsSchema, { violations }) }] : [];
    throw new ConnectError(message, Code.InvalidArgument, err.metadata, details, err.cause);
  }
};
