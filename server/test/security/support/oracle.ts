import { fromJsonString, type DescMessage, type Message } from "@bufbuild/protobuf";
import { createValidator } from "@bufbuild/protovalidate";
import { explainUnknownField } from "../../../src/rpc/unknown-field";

const validator = createValidator();

export type Verdict = { kind: "decode"; message: string } | { kind: "invalid"; message: string } | { kind: "valid" };

/**
 * What the contract says about a request body, computed locally with the same decoder and the same
 * protovalidate rules the server uses: undecodable, invalid (with the message the server must send),
 * or valid.
 */
export function judge(schema: DescMessage, body: Uint8Array): Verdict {
  let msg: Message;
  try {
    msg = fromJsonString(schema, new TextDecoder().decode(body), { ignoreUnknownFields: false });
  } catch (err) {
    // The server refuses unknown JSON keys, with the message of rpc/unknown-field.ts.
    const message = (err as Error).message;
    return { kind: "decode", message: explainUnknownField(schema, message) ?? message };
  }
  const result = validator.validate(schema, msg);
  if (result.kind === "valid") return { kind: "valid" };
  return { kind: "invalid", message: result.error.message };
}
