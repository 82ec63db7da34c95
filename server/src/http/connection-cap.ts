import type { Socket } from "node:net";
import { clientAddress } from "./client-address";

export interface ConnectionCap {
  /** Counts the socket against its address until it closes; false (count unchanged) when the address is at its cap. */
  admit(socket: Socket): boolean;
  /** Open connections of one address. */
  count(address: string): number;
}

/**
 * Caps the TCP connections one client address may hold open. Timeouts close connections that idle;
 * this keeps one address from taking every file descriptor while they run out.
 */
export function createConnectionCap(maxPerAddress: number): ConnectionCap {
  const open = new Map<string, number>();
  return {
    admit(socket) {
      const address = clientAddress(socket);
      const n = open.get(address) ?? 0;
      if (n >= maxPerAddress) return false;
      open.set(address, n + 1);
      socket.once("close", () => {
        const left = (open.get(address) ?? 1) - 1;
        if (left > 0) open.set(address, left);
        else open.delete(address);
      });
      return true;
    },
    count: (address) => open.get(address) ?? 0,
  };
}
