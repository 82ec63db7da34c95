import { toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";

/**
 * The most a list page may hold, encoded: 1 MiB. A page stops before the item that would take it
 * past this, even short of page_size, and says where to go on; so a page of 500 items costs the
 * server (and the client) about a megabyte whatever the items hold, rather than 500 times the
 * largest item. A single item larger than this still makes a page of its own, so paging always
 * moves on.
 */
export const MAX_PAGE_BYTES = 1024 * 1024;

export interface PageSource<Row, Schema extends DescMessage> {
  /** Up to `n` rows after `cursor` (undefined: from the start), in list order. */
  read(cursor: string | undefined, n: number): Promise<Row[]>;
  cursorOf(row: Row): string;
  toProto(row: Row): MessageShape<Schema>;
  schema: Schema;
  /**
   * Rows read per query. Small when rows are large (full views), so a page that stops at the byte
   * limit after a few items has not read hundreds.
   */
  chunk: number;
}

export interface Page<T> {
  items: T[];
  /** The cursor of the last item when more follow, else undefined. */
  next: string | undefined;
}

/** Fills one keyset-paged page of at most `pageSize` items and `maxBytes` encoded bytes. */
export async function fillPage<Row, Schema extends DescMessage>(
  src: PageSource<Row, Schema>,
  start: string | undefined,
  pageSize: number,
  maxBytes = MAX_PAGE_BYTES,
): Promise<Page<MessageShape<Schema>>> {
  const items: MessageShape<Schema>[] = [];
  let bytes = 0;
  let cursor = start;
  for (;;) {
    const want = Math.min(pageSize - items.length, src.chunk);
    // One row more than wanted tells whether anything follows.
    const rows = await src.read(cursor, want + 1);
    for (const row of rows.slice(0, want)) {
      const item = src.toProto(row);
      // The item's bytes plus its field tag and length prefix in the response.
      const size = toBinary(src.schema, item).byteLength + 6;
      if (items.length && bytes + size > maxBytes) return { items, next: cursor };
      items.push(item);
      bytes += size;
      cursor = src.cursorOf(row);
    }
    if (rows.length <= want) return { items, next: undefined };
    if (items.length === pageSize) return { items, next: cursor };
  }
}
