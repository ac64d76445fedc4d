'use strict';
// Lets `node -r ./test/support/register-typescript.js src/main.ts` run the sources as they
// are, for tests that need a real process (signals, exit codes, crashes) without a build.
// Transpiled files are cached by content hash, so only the first start pays for TypeScript.
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const CACHE = path.join(os.tmpdir(), 'ingestion-ts-cache');
let ts;

function transpile(source, filename) {
  ts ??= require('typescript');
  return ts.transpileModule(source, {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      esModuleInterop: true,
      useDefineForClassFields: false,
    },
  }).outputText;
}

require.extensions['.ts'] = (module, filename) => {
  const source = fs.readFileSync(filename, 'utf8');
  const cached = path.join(CACHE, createHash('sha1').update(filename).update(source).digest('hex') + '.js');
  let output;
  try {
    output = fs.readFileSync(cached, 'utf8');
  } catch {
    output = transpile(source, filename);
    fs.mkdirSync(CACHE, { recursive: true });
    // Written aside and renamed: processes started together would otherwise read each other's half-written files.
    const partial = `${cached}.${process.pid}.tmp`;
    fs.writeFileSync(partial, output);
    fs.renameSync(partial, cached);
  }
  module._compile(output, filename);
};
