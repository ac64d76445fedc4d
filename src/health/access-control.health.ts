import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { ApiKeyAuthenticator } from '../access/application/api-key.authenticator';
import { OPEN_ACCESS_WARNING } from '../access/application/open-access.warning';

/** Always up (open access is a warning, not an outage); `mode` says whether API keys are required. */
@Injectable()
export class AccessControlHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly authenticator: ApiKeyAuthenticator,
  ) {}

  async isHealthy<const Key extends string>(key: Key): Promise<HealthIndicatorResult<Key>> {
    const indicator = this.indicators.check(key);
    try {
      return (await this.authenticator.isAccessControlOn())
        ? indicator.up({ mode: 'api-keys' })
        : indicator.up({ mode: 'open', warning: OPEN_ACCESS_WARNING });
    } catch {
      // The database indicator reports the outage; whether keys exist is unknown meanwhile.
      return indicator.up({ mode: 'unknown' });
    }
  }
}
