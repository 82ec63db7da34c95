import type { DescService } from "@bufbuild/protobuf";
import type { QueryClient } from "@tanstack/react-query";
import { createConnectQueryKey } from "@connectrpc/connect-query";

/** Marks every cached query of a service stale, e.g. all job lists after a job changed. */
export function invalidateService(queryClient: QueryClient, service: DescService): void {
  void queryClient.invalidateQueries({ queryKey: createConnectQueryKey({ schema: service, cardinality: undefined }) });
}
