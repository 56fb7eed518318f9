import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureLibraryBuilt, LIBRARY_DIR, ROOT } from '../support/library-build.js';

// The built package as an app sees it: `@engined/resilience[/…]` resolved through package.json
// `exports` (the workspace symlink in node_modules) to libs/resilience/dist, in a real Node process.

const RECORD_IMPORTS = join(import.meta.dirname, 'support/record-imports.mjs');
const MANIFEST = JSON.parse(readFileSync(join(LIBRARY_DIR, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { types: string; default: string }>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};
const OPTIONAL_PEERS = Object.keys(MANIFEST.peerDependenciesMeta).filter((peer) => MANIFEST.peerDependenciesMeta[peer]!.optional);
const REQUIRED_PEERS = Object.keys(MANIFEST.peerDependencies).filter((peer) => !OPTIONAL_PEERS.includes(peer));

/** Each entry point and the optional peers importing it loads (the root and `/testing`: none). */
const ENTRY_POINTS: [string, string[]][] = [
  ['@engined/resilience', []],
  ['@engined/resilience/health', ['@nestjs/schedule']],
  ['@engined/resilience/terminus', ['@nestjs/terminus']],
  ['@engined/resilience/grpc', ['@nestjs/microservices']],
  // prom-client itself requires @opentelemetry/api (for exemplars), so it comes along with /metrics.
  ['@engined/resilience/metrics', ['@opentelemetry/api', 'prom-client']],
  ['@engined/resilience/otel', ['@opentelemetry/api']],
  ['@engined/resilience/testing', []],
  ['@engined/resilience/admin', []],
];

/** Each subpath with optional peers, and the peers it requires at import. */
const PEERS_CHECKED_AT_IMPORT: [string, string[]][] = [
  ['@engined/resilience/health', ['@nestjs/schedule']],
  ['@engined/resilience/terminus', ['@nestjs/terminus']],
  ['@engined/resilience/grpc', ['@nestjs/microservices', '@grpc/grpc-js', '@grpc/proto-loader']],
  ['@engined/resilience/metrics', ['prom-client']],
  ['@engined/resilience/otel', ['@opentelemetry/api']],
];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `command <args>` in `cwd`, bounded; resolves with how it ended. */
function exec(command: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    // Generous: several children start at once, and a loaded CI machine can take seconds per Nest import graph.
    execFile(command, args, { cwd, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({
        code: error ? ((error as { code?: number }).code ?? 1) : 0,
        stdout,
        stderr: error?.killed ? `killed after 60 s (${String(error.signal)})\n${stderr}` : stderr,
      }),
    );
  });
}

/** A child Node process evaluating `script` as an ES module in `cwd`. */
function nodeScript(script: string, cwd: string, flags: string[] = []): Promise<Run> {
  return exec(process.execPath, [...flags, '--input-type=module', '-e', script], cwd);
}

const importScript = (entry: string): string => `await import(${JSON.stringify(entry)});`;

/** dist/<subpath>/index.js (dist/index.js for the root) as a file URL. */
function indexOf(entry: string): string {
  return pathToFileURL(join(LIBRARY_DIR, 'dist', entry.split('/')[2] ?? '', 'index.js')).href;
}

/** Prints the export names of `entry` by import and by require(), and of its index.js, as JSON. */
const exportNamesScript = (entry: string): string => `
  const { createRequire } = await import('node:module');
  const names = (api) => Object.keys(api).sort();
  const imported = names(await import(${JSON.stringify(entry)}));
  const required = names(createRequire(process.cwd() + '/')(${JSON.stringify(entry)}));
  const index = names(await import(${JSON.stringify(indexOf(entry))}));
  console.log(JSON.stringify({ imported, required, index }));`;

/** A plain-JavaScript app (the module decorator applied by hand) with `HealthModule.forRoot({ http })`, started and closed. */
const healthAppScript = (http: string): string => `
  import 'reflect-metadata';
  import { Module } from '@nestjs/common';
  import { NestFactory } from '@nestjs/core';
  import { HealthModule } from '@engined/resilience/health';
  class AppModule {}
  Module({ imports: [HealthModule.forRoot({ http: ${http} })] })(AppModule);
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
  await app.close();
  console.log('closed');`;

/** The packages from node_modules a child loaded (ESM and CommonJS), reported by record-imports.mjs. */
function loadedPackages(run: Run): string[] {
  const line = run.stdout.split('\n').find((text) => text.startsWith('LOADED_PACKAGES '));
  if (run.code !== 0 || line === undefined) throw new Error(`child failed (${run.code}): ${run.stderr}`);
  return JSON.parse(line.slice('LOADED_PACKAGES '.length)) as string[];
}

// Each test starts child Node processes (60 s cap each, see exec()).
jest.setTimeout(90_000);

beforeAll(() => ensureLibraryBuilt(), 120_000);

describe('the built package', () => {
  it('keeps the optional peers out of the root entry, and each subpath loads only its own', async () => {
    // A subpath's entry.js loads its index.js with require(), which Node 20's module hooks do not see:
    // record the index.js graph (the entry adds only node:module and its peer check, which loads nothing).
    // The root goes through the package name and `exports`, as in an app.
    const runs = await Promise.all(
      ENTRY_POINTS.map(([entry], i) => nodeScript(importScript(i === 0 ? entry : indexOf(entry)), ROOT, ['--import', RECORD_IMPORTS])),
    );
    const loaded = ENTRY_POINTS.map(([entry], i) => [entry, loadedPackages(runs[i]!).filter((p) => OPTIONAL_PEERS.includes(p))]);
    expect(loaded).toEqual(ENTRY_POINTS);
    // The assertion above is only as good as the recorder: it does see what the root entry does load.
    expect(loadedPackages(runs[0]!)).toEqual(expect.arrayContaining(['@nestjs/common', '@nestjs/core', 'rxjs']));
  });

  it('gives each entry point the same exports through import and require() as its index.ts', async () => {
    const runs = await Promise.all(ENTRY_POINTS.map(([entry]) => nodeScript(exportNamesScript(entry), ROOT)));
    for (const [i, [entry]] of ENTRY_POINTS.entries()) {
      const { code, stdout, stderr } = runs[i]!;
      expect({ entry, code, stderr }).toEqual({ entry, code: 0, stderr: '' });
      const { imported, required, index } = JSON.parse(stdout) as Record<string, string[]>;
      expect(index!.length).toBeGreaterThan(0);
      expect({ entry, imported, required }).toEqual({ entry, imported: index, required: index });
    }
  });

  // What `npm pack` puts in the tarball is checked on a real pack by consumer.e2e-spec.ts.
});

describe('a subpath whose optional peer is missing', () => {
  let apps: string;

  beforeAll(() => {
    apps = mkdtempSync(join(tmpdir(), 'engined-peers-'));
  });

  afterAll(() => rmSync(apps, { recursive: true, force: true }));

  /**
   * A fresh app directory whose node_modules holds a copy of the built package (a copy: Node resolves
   * a package's imports from its real path) and links to every peer but `missing`.
   */
  function appWithout(missing: readonly string[]): string {
    const dir = mkdtempSync(join(apps, 'app-'));
    const pkg = join(dir, 'node_modules/@engined/resilience');
    cpSync(join(LIBRARY_DIR, 'package.json'), join(pkg, 'package.json'));
    cpSync(join(LIBRARY_DIR, 'dist'), join(pkg, 'dist'), { recursive: true });
    for (const peer of [...REQUIRED_PEERS, ...OPTIONAL_PEERS].filter((p) => !missing.includes(p))) {
      mkdirSync(dirname(join(dir, 'node_modules', peer)), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules', peer), join(dir, 'node_modules', peer));
    }
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
    return dir;
  }

  it.each(PEERS_CHECKED_AT_IMPORT.flatMap(([entry, peers]) => peers.map((peer) => [entry, peer] as const)))(
    '%s fails at import naming %s and how to install it',
    async (entry, peer) => {
      const { code, stderr } = await nodeScript(importScript(entry), appWithout([peer]));
      expect(code).not.toBe(0);
      expect(stderr).toContain(`${entry} requires ${peer}: npm install ${peer}`);
    },
  );

  it('imports with every peer present (the linked app is sound)', async () => {
    const dir = appWithout([]);
    const runs = await Promise.all(ENTRY_POINTS.map(([entry]) => nodeScript(importScript(entry), dir)));
    expect(runs.map((run) => run.stderr)).toEqual(ENTRY_POINTS.map(() => ''));
  });

  it('runs HealthModule without @nestjs/terminus when its HTTP endpoints are off, and names it when they are on', async () => {
    const dir = appWithout(['@nestjs/terminus']);
    const [off, on] = await Promise.all([
      nodeScript(healthAppScript('{ enabled: false }'), dir),
      nodeScript(healthAppScript('{}'), dir),
    ]);
    expect({ code: off.code, stdout: off.stdout.trim(), stderr: off.stderr }).toEqual({ code: 0, stdout: 'closed', stderr: '' });
    expect(on.code).not.toBe(0);
    expect(on.stderr).toContain(`HealthModule's HTTP endpoints (http.enabled, on by default) need @nestjs/terminus: npm install @nestjs/terminus, or pass http: { enabled: false }`);
  });
});
