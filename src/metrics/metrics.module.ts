import { Global, Module, OnModuleDestroy } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { DatabasePoolMetrics } from './database-pool.metrics';
import { HttpRequestMetrics } from './http-request.metrics';
import { MetricsController } from './metrics.controller';

/**
 * Each app has its own registry, not prom-client's global one: two apps in one process (the tests, two instances
 * side by side) count separately and never clash over a metric name.
 */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [
    {
      provide: Registry,
      useFactory: () => {
        const registry = new Registry();
        collectDefaultMetrics({ register: registry });
        return registry;
      },
    },
    HttpRequestMetrics,
    DatabasePoolMetrics,
  ],
  exports: [Registry, HttpRequestMetrics],
})
export class MetricsModule implements OnModuleDestroy {
  constructor(private readonly registry: Registry) {}

  onModuleDestroy(): void {
    this.registry.clear();
  }
}
