import { Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { Gauge, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/** Read at each scrape. SQLite has one connection and no pool: no series. */
@Injectable()
export class DatabasePoolMetrics {
  constructor(registry: Registry, dataSource: DataSource) {
    const { driver } = dataSource;
    if (!(driver instanceof PostgresDriver)) return;
    // Set once the DataSource is initialised, and gone after destroy().
    const pool = (): Pool | undefined => driver.master as Pool | undefined;
    new Gauge({
      name: 'database_pool_connections',
      help: 'Connections of the PostgreSQL pool, by state (in_use, idle).',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        const counts = pool();
        this.set({ state: 'in_use' }, counts ? counts.totalCount - counts.idleCount : 0);
        this.set({ state: 'idle' }, counts?.idleCount ?? 0);
      },
    });
    new Gauge({
      name: 'database_pool_waiting_requests',
      help: 'Queries waiting for a free connection of the PostgreSQL pool.',
      registers: [registry],
      collect() {
        this.set(pool()?.waitingCount ?? 0);
      },
    });
    new Gauge({
      name: 'database_pool_max_connections',
      help: 'Largest number of connections the PostgreSQL pool opens (DATABASE_POOL_SIZE).',
      registers: [registry],
      collect() {
        this.set(pool()?.options.max ?? 0);
      },
    });
  }
}
