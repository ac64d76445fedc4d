/** `payloadJson` is written out as stored, never parsed and re-encoded on the way. */
export interface IngestedDataView {
  id: string;
  partnerId: string;
  timestamp: string;
  payloadJson: string;
}
