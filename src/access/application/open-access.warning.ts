import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ApiKeyAuthenticator } from './api-key.authenticator';

export const OPEN_ACCESS_WARNING =
  'access control is off: no API key exists, so every /ingest route is open to anyone who reaches the service; create a key with `npm run keys -- create`';

/** The warning at start while the service is open. */
@Injectable()
export class OpenAccessWarning implements OnApplicationBootstrap {
  private readonly logger = new Logger('Access');

  constructor(private readonly authenticator: ApiKeyAuthenticator) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!(await this.authenticator.isAccessControlOn())) this.logger.warn(OPEN_ACCESS_WARNING);
  }
}
