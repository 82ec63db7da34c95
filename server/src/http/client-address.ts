import type { Socket } from "node:net";

/**
 * The address a limit is counted against: the peer's IP, with IPv4-mapped IPv6 ("::ffff:10.0.0.1")
 * folded into the IPv4 form so a client cannot double its share by switching notation.
 */
export function clientAddress(socket: Pick<Socket, "remoteAddress"> | undefined): string {
  const address = socket?.remoteAddress ?? "unknown";
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}
