import { DataId } from '../../domain/data-id.value-object';
import { PartnerId } from '../../domain/partner-id.value-object';
import { Timestamp } from '../../domain/timestamp.value-object';
import type { DataListFilter, RecordReadModel } from '../ports/record.read-model';
import type { DataListView } from '../views/data-list.view';

/** The filter as the value objects accept it: ids in lower case, time bounds in UTC with milliseconds. */
export function validDataListFilter(filter: DataListFilter): DataListFilter {
  return {
    partnerId: filter.partnerId === undefined ? undefined : PartnerId.create(filter.partnerId).value,
    after: filter.after === undefined ? undefined : DataId.create(filter.after, 'after').value,
    since: filter.since === undefined ? undefined : Timestamp.parseRangeBound(filter.since, 'since').value,
    until: filter.until === undefined ? undefined : Timestamp.parseRangeBound(filter.until, 'until').value,
    limit: filter.limit,
    includePayload: filter.includePayload === true,
  };
}

/** One page when the filter has a limit, the whole list as a stream of chunks otherwise. */
export async function readDataList(readModel: RecordReadModel, filter: DataListFilter): Promise<DataListView> {
  const includePayload = filter.includePayload === true;
  if (filter.limit === undefined) {
    // Awaited here, so that a bad cursor is an error before the response starts.
    return { chunks: await readModel.streamChunks(filter), includePayload };
  }
  // One row more than asked tells whether another page exists.
  const rows = await readModel.findPage({ ...filter, limit: filter.limit + 1 });
  const page = rows.slice(0, filter.limit);
  return {
    chunks: single(page),
    includePayload,
    nextAfter: rows.length > filter.limit && page.length > 0 ? page[page.length - 1].id : undefined,
  };
}

async function* single<T>(chunk: T): AsyncIterable<T> {
  yield chunk;
}
