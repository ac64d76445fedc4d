import { Injectable } from '@nestjs/common';
import { Gauge, Registry } from 'prom-client';
import { DataSource } from 'typeorm';

/** What the metrics read of a pg Pool. */
interface PoolCounts {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
  options: { max: number };
}

/**
 * PostgreSQL's connection pool, read at each scrape: connections in use and idle, requests
 * waiting for one, and the pool's size. SQLite has one connection and no pool: no series.
 */
@Injectable()
export class DatabasePoolMetrics {
  constructor(registry: Registry, dataSource: DataSource) {
    if (dataSource.options.type !== 'postgres') return;
    const pool = (): PoolCounts | undefined => (dataSource.driver as unknown as { master?: PoolCounts }).master;
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
