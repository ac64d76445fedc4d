/** Reads a list's chunks to the end: one array per chunk, in the order they came. */
export async function drainChunks<T>(chunks: AsyncIterable<T[]>): Promise<T[][]> {
  const drained: T[][] = [];
  for await (const chunk of chunks) drained.push(chunk);
  return drained;
}
