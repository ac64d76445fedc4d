/** `POST /ingest/stream/token`'s answer; both null while access control is off (the stream needs no credential). */
export interface StreamTokenView {
  token: string | null;
  expires_at: string | null;
}
