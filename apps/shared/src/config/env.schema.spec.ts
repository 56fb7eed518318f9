import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { validateDownstreamEnv } from '../../../downstream/src/config/downstream-env.js';
import { validateEnv } from '../../../engined/src/config/env.validation.js';
import { isConfigValidationError } from './config-validation.error.js';
import { describeSchema } from './env-validators.js';
import { DAEMON_ENV, DOWNSTREAM_ENV, ENV } from './env.schema.js';

// The schema is the one source of the settings: the configuration page and .env.example are checked against it,
// so a variable added, removed or re-defaulted in one place and not the others fails here.

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
const SCHEMA = describeSchema(ENV);
const NAMES = SCHEMA.map((v) => v.name).toSorted();

/** `| \`NAME\` | default | meaning |` rows of docs/configuration.md's table. */
function documentedRows(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8').split('\n')) {
    const row = /^\| `([A-Z][A-Z0-9_]*)` \| ([^|]*) \|/.exec(line);
    if (row) rows.set(row[1]!, row[2]!.trim());
  }
  return rows;
}

/** `#NAME=value` lines of .env.example. */
function exampleLines(): Map<string, string> {
  const lines = new Map<string, string>();
  for (const line of readFileSync(join(ROOT, '.env.example'), 'utf8').split('\n')) {
    const entry = /^#?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (entry) lines.set(entry[1]!, entry[2]!);
  }
  return lines;
}

function rejectionOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (isConfigValidationError(error)) return error.issues.map((i) => i.variable);
    throw error;
  }
  return [];
}

describe('the settings schema', () => {
  it('documents every variable in docs/configuration.md, and nothing else, with its default', () => {
    const rows = documentedRows();
    expect([...rows.keys()].toSorted()).toEqual(NAMES);
    for (const { name, default: value } of SCHEMA) {
      const cell = rows.get(name)!;
      // The default cell opens with `value` (then maybe a note), or says "unset" when there is none.
      const shown = value === undefined ? (cell.startsWith('unset') ? undefined : cell) : /^`([^`]*)`/.exec(cell)?.[1];
      expect([name, shown]).toEqual([name, value === undefined ? undefined : String(value)]);
    }
  });

  it('lists every variable in .env.example, and nothing else, with its default', () => {
    const lines = exampleLines();
    expect([...lines.keys()].toSorted()).toEqual(NAMES);
    // A variable without a default shows an example value (or nothing).
    const withDefault = SCHEMA.filter((v) => v.default !== undefined);
    expect(withDefault.map(({ name }) => [name, lines.get(name)])).toEqual(withDefault.map(({ name, default: value }) => [name, String(value)]));
  });

  it('is what the daemon and the standalone downstream read: each rejects a bad value of each of its variables', () => {
    const bad = 'not valid ~';
    for (const name of Object.keys(DAEMON_ENV)) {
      if (name === 'PGLITE_DATA_DIR' || name === 'HEALTH_TOKEN') continue; // free text: any value is a path / a token
      expect([name, rejectionOf(() => validateEnv({ [name]: bad }))]).toEqual([name, [name]]);
    }
    for (const name of Object.keys(DOWNSTREAM_ENV)) {
      expect([name, rejectionOf(() => validateDownstreamEnv({ [name]: bad }))]).toEqual([name, [name]]);
    }
  });

  it('covers every variable the apps read by name', () => {
    const read = new Set<string>();
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) {
          for (const match of readFileSync(path, 'utf8').matchAll(/\benv(?:\.|\[')([A-Z][A-Z0-9_]+)/g)) read.add(match[1]!);
        }
      }
    };
    walk(join(ROOT, 'apps'));
    expect(read.size).toBeGreaterThan(0);
    expect([...read].filter((name) => !NAMES.includes(name))).toEqual([]);
  });
});
