import 'reflect-metadata';
import { runKeysCli } from './access/infrastructure/cli/keys.cli';

// TypeORM reports a failed migration through console.log: stdout must carry the JSON lines alone.
console.log = console.info = console.debug = console.error;

runKeysCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`keys: ${String(error)}\n`);
    process.exit(1);
  },
);
