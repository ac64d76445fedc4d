/** What an ingest command answers: the view, and whether it is the replay of an earlier request. */
export interface IngestionResult<View> {
  view: View;
  replayed: boolean;
}
