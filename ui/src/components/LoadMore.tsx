import { Button } from "./Button";

/** The footer of a paged list: loads the next page while there is one. */
export function LoadMore({ hasMore, loading, onLoad }: { hasMore: boolean; loading: boolean; onLoad: () => void }) {
  if (!hasMore) return null;
  return (
    <div className="border-t border-zinc-100 p-2 text-center">
      <Button size="sm" variant="ghost" onClick={() => onLoad()} busy={loading}>
        Load more
      </Button>
    </div>
  );
}
