import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { DatabaseWritesMonitor } from '../ingestion/infrastructure/persistence/database-writes.monitor';

/** Down while the database's storage refuses writes (full, read-only, I/O errors); see DatabaseWritesMonitor. */
@Injectable()
export class DatabaseWritesHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly monitor: DatabaseWritesMonitor,
  ) {}

  async isHealthy<const Key extends string>(key: Key): Promise<HealthIndicatorResult<Key>> {
    const indicator = this.indicators.check(key);
    const fault = await this.monitor.currentFault();
    return fault === undefined ? indicator.up() : indicator.down({ fault: fault.fault, reason: fault.reason });
  }
}
