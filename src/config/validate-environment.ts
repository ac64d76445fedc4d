import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { Environment } from './environment';

export class InvalidEnvironmentError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = InvalidEnvironmentError.name;
  }
}

/** For ConfigModule: empty strings count as unset, so defaults apply; bad values stop the start. */
export function validateEnvironment(raw: Record<string, unknown>): Environment {
  const known = Object.keys(new Environment()).concat('DATABASE_EXPORT_CONNECTIONS');
  const given: Record<string, unknown> = {};
  for (const key of known) {
    if (raw[key] !== undefined && raw[key] !== '') given[key] = raw[key];
  }
  const environment = plainToInstance(Environment, given, { exposeDefaultValues: true });
  const failures = validateSync(environment, { skipMissingProperties: false });
  if (failures.length > 0) {
    throw new InvalidEnvironmentError(
      failures.map(
        (failure) =>
          `${failure.property}=${JSON.stringify(given[failure.property])}: ${Object.values(failure.constraints ?? {}).join('; ')}`,
      ),
    );
  }
  return environment;
}
