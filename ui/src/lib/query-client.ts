import { QueryClient } from "@tanstack/react-query";
import { Code, ConnectError } from "@connectrpc/connect";

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // Live pages refresh through streams, not by refetching on focus.
        refetchOnWindowFocus: false,
        staleTime: 10_000,
        retry: (failures, err) => {
          if (err instanceof ConnectError && err.code !== Code.Unavailable && err.code !== Code.Unknown) return false;
          return failures < 2;
        },
      },
      mutations: { retry: false },
    },
  });
}
