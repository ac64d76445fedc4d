import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { Logger as PinoLogger } from 'nestjs-pino';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DatabaseNotWritableError, redactedDatabaseUrl } from '../../../config/database.options';
import { InvalidEnvironmentError } from '../../../config/validate-environment';
import { StorageFullError, StorageUnavailableError } from '../../../ingestion/domain/ingestion.errors';
import {
  isDatabaseUnavailable,
  unavailableReason,
} from '../../../ingestion/infrastructure/persistence/database-errors';
import { CreateApiKeyCommand } from '../../application/commands/create-api-key.command';
import { RevokeApiKeyCommand } from '../../application/commands/revoke-api-key.command';
import { ListApiKeysQuery } from '../../application/queries/list-api-keys.query';
import type { ApiKeyView, CreatedApiKeyView } from '../../application/views/api-key.view';
import { ApiKeyNotFoundError, InvalidApiKeyRequestError } from '../../domain/access.errors';
import { KeysCliModule } from './keys-cli.module';

export const KEYS_USAGE = [
  'usage: npm run keys -- create --partner <partner_id> [--name <label>]',
  '       npm run keys -- create --admin [--name <label>]',
  '       npm run keys -- list',
  '       npm run keys -- revoke <id>',
].join('\n');

export type KeysRequest = CreateApiKeyCommand | RevokeApiKeyCommand | ListApiKeysQuery;

/** Where the CLI writes: stdout gets the JSON lines only, stderr everything else. */
export interface KeysCliOutput {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** The command line (after `keys`) as the command or query it asks for; InvalidApiKeyRequestError for none. */
export function parseKeysArguments(args: readonly string[]): KeysRequest {
  const [command, ...rest] = args;
  switch (command) {
    case 'create': {
      const { values } = parseOptions(command, rest, {
        partner: { type: 'string', multiple: true },
        admin: { type: 'boolean' },
        name: { type: 'string', multiple: true },
      });
      const partner = single('partner', values.partner);
      const name = single('name', values.name) ?? null;
      if (partner !== undefined && values.admin === true) {
        throw new InvalidApiKeyRequestError('create takes --partner <partner_id> or --admin, not both.');
      }
      if (values.admin === true) return new CreateApiKeyCommand({ admin: true }, name);
      if (partner === undefined) throw new InvalidApiKeyRequestError('create needs --partner <partner_id> or --admin.');
      return new CreateApiKeyCommand({ admin: false, partnerId: partner }, name);
    }
    case 'list':
      parseOptions(command, rest, {});
      return new ListApiKeysQuery();
    case 'revoke': {
      const { positionals } = parseOptions(command, rest, {}, 1);
      return new RevokeApiKeyCommand(positionals[0]);
    }
    case undefined:
      throw new InvalidApiKeyRequestError('No command given.');
    default:
      throw new InvalidApiKeyRequestError(`Unknown command '${command.slice(0, 100)}'.`);
  }
}

/**
 * Runs one command of the CLI on the service's database (DATABASE_URL from the environment,
 * then `.env`; migrated first when needed) and resolves to the exit code: 0 done, 1 failed
 * (unknown key, configuration, database), 2 a usage error. It never rejects.
 */
export async function runKeysCli(
  args: readonly string[],
  output: KeysCliOutput = { stdout: process.stdout, stderr: process.stderr },
  overrides: Record<string, string> = {},
): Promise<number> {
  let context: INestApplicationContext | undefined;
  try {
    const request = parseKeysArguments(args);
    context = await NestFactory.createApplicationContext(KeysCliModule.forRoot(overrides), {
      abortOnError: false,
      // Silent until the configuration is known; then the service's logger, on stderr.
      logger: false,
    });
    context.useLogger(context.get(PinoLogger));
    const lines = await execute(context, request);
    await write(output.stdout, lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
    return 0;
  } catch (error) {
    const [code, message] = failure(error);
    await write(output.stderr, `keys: ${message}\n`);
    return code;
  } finally {
    await context?.close().catch(() => undefined);
  }
}

async function execute(context: INestApplicationContext, request: KeysRequest): Promise<object[]> {
  if (request instanceof ListApiKeysQuery) {
    return (await context.get(QueryBus).execute(request)).map(keyLine);
  }
  if (request instanceof RevokeApiKeyCommand) return [keyLine(await context.get(CommandBus).execute(request))];
  return [createdLine(await context.get(CommandBus).execute(request))];
}

// The printed key order is part of the contract: spelled out here, whatever order the views are built in.
function createdLine(view: CreatedApiKeyView): CreatedApiKeyView {
  const { id, key, partner_id, admin, name, created_at } = view;
  return { id, key, partner_id, admin, name, created_at };
}

function keyLine(view: ApiKeyView): ApiKeyView {
  const { id, partner_id, admin, name, created_at, revoked_at, last_used_at } = view;
  return { id, partner_id, admin, name, created_at, revoked_at, last_used_at };
}

function parseOptions<T extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  args: string[],
  options: T,
  positionals = 0,
) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new InvalidApiKeyRequestError(`${command}: ${(error as Error).message}`);
  }
  if (parsed.positionals.length !== positionals) {
    throw new InvalidApiKeyRequestError(
      positionals === 0
        ? `${command} takes no argument besides its options.`
        : `${command} takes exactly ${positionals} argument (the key's id).`,
    );
  }
  return parsed;
}

function single(option: string, values: string[] | undefined): string | undefined {
  if (values !== undefined && values.length > 1)
    throw new InvalidApiKeyRequestError(`--${option} given more than once.`);
  return values?.[0];
}

function failure(error: unknown): [code: number, message: string] {
  if (error instanceof InvalidApiKeyRequestError) return [2, `${error.message}\n${KEYS_USAGE}`];
  if (
    error instanceof ApiKeyNotFoundError ||
    error instanceof InvalidEnvironmentError ||
    error instanceof DatabaseNotWritableError
  ) {
    return [1, error.message];
  }
  const database = process.env.DATABASE_URL ? `: ${redactedDatabaseUrl(process.env.DATABASE_URL)}` : '';
  if (error instanceof StorageUnavailableError || error instanceof StorageFullError) {
    return [1, `${error.message} (${error.reason})${database}`];
  }
  if (isDatabaseUnavailable(error)) return [1, `database not reachable (${unavailableReason(error)})${database}`];
  return [1, error instanceof Error ? (error.stack ?? error.message) : String(error)];
}

/** Resolves once the text is handed to the system: the caller exits right after. */
function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (text === '') return Promise.resolve();
  return new Promise((resolve) => stream.write(text, () => resolve()));
}
