/** How a client asked to list records: raw values, validated by the value objects. */
export interface DataListOptions {
  limit?: number;
  after?: string;
  since?: string;
  until?: string;
  includePayload?: boolean;
}
