import type { Interceptor } from "@connectrpc/connect";
import { toConnectError } from "../errors";

/**
 * Turns the domain's errors into Connect codes at the edge, for every handler: a unary call's
 * rejection, and an error thrown while a stream is being produced (which happens after next()
 * has returned, as the response is read). Sits inside the observe interceptor, which would
 * otherwise report a DomainError as Internal.
 */
export const domainErrorsToConnect: Interceptor = (next) => async (req) => {
  try {
    const res = await next(req);
    return res.stream ? { ...res, message: mapErrors(res.message) } : res;
  } catch (err) {
    throw toConnectError(err);
  }
};

async function* mapErrors<T>(messages: AsyncIterable<T>): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (err) {
    throw toConnectError(err);
  }
}
