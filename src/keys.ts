import 'reflect-metadata';
import { runKeysCli } from './access/infrastructure/cli/keys.cli';

/**
 * API key management on the service's database (npm run keys -- create | list | revoke):
 * one JSON line per key on stdout, everything else on stderr; see KEYS_USAGE.
 */
// TypeORM reports a failed migration through console.log: stdout must carry the JSON lines alone.
console.log = console.info = console.debug = console.error;

runKeysCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`keys: ${String(error)}\n`);
    process.exit(1);
  },
);
