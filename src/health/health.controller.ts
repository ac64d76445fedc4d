import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { AccessControlHealthIndicator } from './access-control.health';
import { DatabaseWritesHealthIndicator } from './database-writes.health';
import { EventDeliveryHealthIndicator } from './event-delivery.health';
import { ApiLive, ApiReady } from './health.openapi';
import { ShutdownState } from './shutdown-state';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly databaseWrites: DatabaseWritesHealthIndicator,
    private readonly eventDelivery: EventDeliveryHealthIndicator,
    private readonly accessControl: AccessControlHealthIndicator,
    private readonly shutdown: ShutdownState,
  ) {}

  /** 200 while the process runs and its event loop turns. */
  @Get('live')
  @ApiLive()
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** 200 when the database answers and takes writes; 503 when not, or once shutdown has begun. The event sink's state and the access mode are details. */
  @Get('ready')
  // Terminus would document a JSON 503; the problem filter answers it as problem+json (ApiReady).
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiReady()
  ready(): Promise<HealthCheckResult> {
    if (this.shutdown.isShuttingDown) {
      throw new ServiceUnavailableException('The service is shutting down.');
    }
    return this.health.check([
      () => this.database.pingCheck('database', { timeout: 1000 }),
      () => this.databaseWrites.isHealthy('database_writes'),
      () => this.eventDelivery.isHealthy('event_delivery'),
      () => this.accessControl.isHealthy('access_control'),
    ]);
  }
}
