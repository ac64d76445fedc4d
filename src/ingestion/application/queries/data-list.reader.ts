import { Injectable } from '@nestjs/common';
import { DataId } from '../../domain/data-id.value-object';
import { DataListCriteria } from '../../domain/data-list.criteria';
import { DataRepository } from '../../domain/data.repository';
import { PartnerId } from '../../domain/partner-id.value-object';
import { Timestamp } from '../../domain/timestamp.value-object';
import type { DataListView } from '../views/data-list.view';
import type { DataListOptions } from './data-list.options';

/** Shared by the list queries: options → criteria, then one page or a stream of chunks. */
@Injectable()
export class DataListReader {
  constructor(private readonly repository: DataRepository) {}

  async read(options: DataListOptions, partnerId?: string): Promise<DataListView> {
    const criteria: DataListCriteria = {
      partnerId: partnerId === undefined ? undefined : PartnerId.create(partnerId),
      after: options.after === undefined ? undefined : DataId.create(options.after, 'after'),
      since: options.since === undefined ? undefined : Timestamp.parseRangeBound(options.since, 'since'),
      until: options.until === undefined ? undefined : Timestamp.parseRangeBound(options.until, 'until'),
      includePayload: options.includePayload === true,
    };
    if (options.limit === undefined) {
      // Awaited here, so that a bad cursor is an error before the response starts.
      return { chunks: await this.repository.streamChunks(criteria), includePayload: criteria.includePayload };
    }
    // One row more than asked tells whether another page exists.
    const rows = await this.repository.findPage(criteria, options.limit + 1);
    const page = rows.slice(0, options.limit);
    return {
      chunks: single(page),
      includePayload: criteria.includePayload,
      nextAfter: rows.length > options.limit && page.length > 0 ? page[page.length - 1].id : undefined,
    };
  }
}

async function* single<T>(chunk: T): AsyncIterable<T> {
  yield chunk;
}
