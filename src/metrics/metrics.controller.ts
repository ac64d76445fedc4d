import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Registry } from 'prom-client';

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly registry: Registry) {}

  @Get()
  @Header('content-type', Registry.PROMETHEUS_CONTENT_TYPE)
  @ApiOperation({
    summary: 'Metrics (Prometheus)',
    description:
      'Request counts and latency histograms by route template and status, records ingested, event-handler failures, database pool.',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: `Prometheus text exposition format (version 0.0.4): \`${Registry.PROMETHEUS_CONTENT_TYPE}\`.`,
    schema: { type: 'string' },
  })
  scrape(): Promise<string> {
    return this.registry.metrics();
  }
}
