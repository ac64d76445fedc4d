#!/usr/bin/env node
'use strict';
// Prints, per folder (its own files, not its subfolders), comment lines / code lines of the TypeScript
// and JavaScript sources, spec files excluded. Usage: node scripts/comment-ratio.js [root=src] [--max=0.10]
const fs = require('node:fs');
const path = require('node:path');

const args = process.argv.slice(2);
const root = args.find((arg) => !arg.startsWith('--')) ?? 'src';
const maxArg = args.find((arg) => arg.startsWith('--max='));
const max = maxArg ? Number(maxArg.slice('--max='.length)) : undefined;

const SOURCE = /\.(?:ts|js|mjs|cjs)$/;
const SPEC = /\.(?:spec|e2e-spec)\.[cm]?[jt]s$|\.d\.ts$/;

function countLines(text) {
  let comment = 0;
  let code = 0;
  let inBlock = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    if (inBlock) {
      comment++;
      if (line.includes('*/')) inBlock = false;
      continue;
    }
    if (line.startsWith('//')) {
      comment++;
    } else if (line.startsWith('/*')) {
      comment++;
      // A block comment opened here and not closed on the same line continues on the next lines.
      inBlock = !line.slice(2).includes('*/');
    } else if (line.startsWith('*')) {
      comment++;
    } else {
      code++;
    }
  }
  return { comment, code };
}

function walk(dir, rows) {
  const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  const totals = { comment: 0, code: 0 };
  for (const entry of entries) {
    if (!entry.isFile() || !SOURCE.test(entry.name) || SPEC.test(entry.name)) continue;
    const counts = countLines(fs.readFileSync(path.join(dir, entry.name), 'utf8'));
    totals.comment += counts.comment;
    totals.code += counts.code;
  }
  if (totals.code + totals.comment > 0) rows.push({ dir, ...totals });
  for (const entry of entries) if (entry.isDirectory()) walk(path.join(dir, entry.name), rows);
}

const rows = [];
walk(root, rows);
const width = Math.max(...rows.map((row) => row.dir.length), 'folder'.length);
let over = 0;
console.log(`${'folder'.padEnd(width)}  comment   code   ratio`);
for (const row of rows) {
  const ratio = row.code === 0 ? 0 : row.comment / row.code;
  const flag = max !== undefined && ratio > max ? '  > max' : '';
  if (flag) over++;
  console.log(
    `${row.dir.padEnd(width)}  ${String(row.comment).padStart(7)}  ${String(row.code).padStart(5)}  ${(ratio * 100).toFixed(1).padStart(5)} %${flag}`,
  );
}
const total = rows.reduce((sum, row) => ({ comment: sum.comment + row.comment, code: sum.code + row.code }), {
  comment: 0,
  code: 0,
});
console.log(
  `${'total'.padEnd(width)}  ${String(total.comment).padStart(7)}  ${String(total.code).padStart(5)}  ${((total.comment / total.code) * 100).toFixed(1).padStart(5)} %`,
);
if (over > 0) process.exitCode = 1;
