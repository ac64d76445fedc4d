export interface DataListItem {
  id: string;
  partnerId: string;
  timestamp: string;
  payloadJson?: string;
}

/** `chunks` can be iterated once (a full list reads from the database as it goes); `nextAfter`: more may follow. */
export interface DataListView {
  chunks: AsyncIterable<DataListItem[]>;
  includePayload: boolean;
  nextAfter?: string;
}
