import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { LIBRARY_DIR, ROOT } from '../support/library-build.js';
import { CONSUMER_VARIANTS, writeConsumerApp, type ConsumerVariant } from './support/consumer-app.js';
import { extractTarball, packLibrary, tarballProblems, type LibraryManifest, type PackedLibrary } from './support/packed-library.js';

// The library as a user gets it: `npm pack` (its prepack builds dist), then fresh Nest 12 apps outside the
// repo, one per module system / tsconfig, with the tarball unpacked into node_modules and Nest linked from
// the workspace; each compiled by tsc with its own tsconfig and run as a real process.

const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const MANIFEST = JSON.parse(readFileSync(join(LIBRARY_DIR, 'package.json'), 'utf8')) as LibraryManifest;
const ENTRY_POINTS = Object.keys(MANIFEST.exports)
  .filter((subpath) => subpath !== './package.json')
  .map((subpath) => MANIFEST.name + subpath.slice(1));
/** A bound on each real-time wait (an app to start, a request, a state to show): generous, since a loaded 2-core
 * machine was seen taking over 15 s to start the apps; it names what it waited for when it fires. */
const DEADLINE_MS = 45_000;

interface Run {
  code: number | null;
  output: string;
}

interface ConsumerApp {
  dir: string;
  /** What tsc said about this app: its errors, and the files it compiled (--listFiles). */
  compiled: string[];
  process?: ChildProcess;
  stdout: string;
  stderr: string;
  /** What main.ts prints once listening: the port, and where `@engined/resilience` resolved. */
  started?: Promise<{ port: number; library: string }>;
}

/** A stand-in quotes service: `/quotes/fail…` answers 500, `/quotes/hang…` never answers, anything else a quote. */
interface Downstream {
  url: string;
  /** Paths of hung requests whose connection the caller closed. */
  abandoned: Set<string>;
  server: Server;
}

function exec(command: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

async function startDownstream(): Promise<Downstream> {
  const abandoned = new Set<string>();
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    const id = decodeURIComponent(path.split('/').pop() ?? '');
    if (id.startsWith('hang')) {
      res.on('close', () => abandoned.add(path));
      return;
    }
    if (id.startsWith('fail')) {
      res.writeHead(500).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id, price: 42 }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, abandoned, server };
}

/** Starts `node dist/main.js` on port 0; resolves with the line main.ts prints once it listens. */
function startApp(app: ConsumerApp, quotesUrl: string): void {
  const child = spawn(process.execPath, [join(app.dir, 'dist/main.js')], {
    cwd: app.dir,
    env: { PATH: process.env.PATH, PORT: '0', QUOTES_URL: quotesUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  app.process = child;
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (app.stderr += chunk));
  app.started = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no port within ${DEADLINE_MS} ms; stdout: ${app.stdout}; stderr: ${app.stderr}`)), DEADLINE_MS);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      app.stdout += chunk;
      const line = app.stdout.split('\n').find((text) => text.startsWith('{"port"'));
      if (line !== undefined) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as { port: number; library: string });
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code ?? signal}) before listening; stdout: ${app.stdout}; stderr: ${app.stderr}`));
    });
  });
  // A rejection is reported by the test that awaits it.
  app.started.catch(() => undefined);
}

/** Stops the app with SIGTERM (SIGKILL after the deadline); resolves with how it ended. */
async function stopApp(app: ConsumerApp): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const child = app.process;
  if (child === undefined) return { code: null, signal: null };
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), DEADLINE_MS);
  const [code, signal] = await exited;
  clearTimeout(killer);
  return { code, signal };
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** GET on the app, on a connection of its own (nothing kept alive past the answer). */
function get(port: number, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: DEADLINE_MS }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text === '' ? undefined : (JSON.parse(text) as unknown) }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer within ${DEADLINE_MS} ms`)));
    req.on('error', reject).end();
  });
}

/** Polls `probe` until it returns true, failing after the deadline with what it saw last. */
async function eventually(what: string, probe: () => Promise<{ ok: boolean; seen: unknown }>): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const { ok, seen } = await probe();
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${DEADLINE_MS} ms; last seen ${JSON.stringify(seen)}`);
    await delay(50);
  }
}

const work = realpathSync(mkdtempSync(join(tmpdir(), 'engined-consumer-')));
const apps = new Map<string, ConsumerApp>();
let packed: PackedLibrary;
let downstream: Downstream | undefined;

beforeAll(async () => {
  downstream = await startDownstream();
  packed = await packLibrary(work);
  const dirs = CONSUMER_VARIANTS.map((variant) => join(work, variant.name));
  await Promise.all(
    CONSUMER_VARIANTS.map((variant, i) => {
      writeConsumerApp(dirs[i]!, variant, packed.tarball, ENTRY_POINTS);
      return extractTarball(packed.tarball, join(dirs[i]!, 'node_modules', MANIFEST.name));
    }),
  );
  // One tsc process builds every app, each with its own tsconfig (build mode parses the shared typings once).
  const tsc = await exec(process.execPath, [TSC, '--build', ...dirs.map((dir) => join(dir, 'tsconfig.build.json')), '--listFiles', '--pretty', 'false'], work);
  const lines = tsc.output.split('\n');
  for (const [i, variant] of CONSUMER_VARIANTS.entries()) {
    const dir = dirs[i]!;
    const compiled = lines.filter((line) => line.startsWith(`${variant.name}/`) || line.startsWith(dir + sep) || line.startsWith(LIBRARY_DIR + sep));
    const app: ConsumerApp = { dir, compiled, stdout: '', stderr: '' };
    apps.set(variant.name, app);
    if (compiled.some((line) => line.includes('error TS'))) {
      app.started = Promise.reject(new Error(`not started: tsc failed on ${variant.name} (see its compile test)`));
      app.started.catch(() => undefined);
    } else {
      startApp(app, downstream.url);
    }
  }
  if (tsc.code !== 0 && ![...apps.values()].some((app) => app.compiled.some((line) => line.includes('error TS')))) {
    throw new Error(`tsc --build failed (${tsc.code}): ${tsc.output}`);
  }
}, 240_000);

afterAll(async () => {
  await Promise.all([...apps.values()].map(stopApp));
  if (downstream !== undefined) {
    downstream.server.closeAllConnections();
    await new Promise((resolve) => downstream!.server.close(resolve));
  }
  rmSync(work, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('holds dist with typings for every entry point (exports and typesVersions), README and LICENSE, and no test files', () => {
    expect(packed.files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts']));
    expect(tarballProblems(packed.files, MANIFEST)).toEqual([]);
  });
});

describe.each(CONSUMER_VARIANTS.map((variant) => [variant.name, variant] as [string, ConsumerVariant]))('a Nest 12 app, %s', (name, variant) => {
  const app = (): ConsumerApp => apps.get(name)!;
  const library = (): string => join(app().dir, 'node_modules', MANIFEST.name) + sep;
  const port = async (): Promise<number> => (await app().started!).port;

  it(`compiles with its own tsconfig (${variant.origin}), typed from the tarball, every entry point included`, () => {
    const { compiled } = app();
    expect(compiled.filter((line) => line.includes('error TS'))).toEqual([]);
    expect(compiled.filter((file) => file.startsWith(LIBRARY_DIR + sep))).toEqual([]);
    const typings = Object.values(MANIFEST.exports).flatMap((target) => (typeof target === 'string' ? [] : [library() + target.types.replace(/^\.\//, '')]));
    expect(typings.length).toBe(ENTRY_POINTS.length);
    expect(compiled).toEqual(expect.arrayContaining(typings));
  });

  it('runs as a process that loads the library from the tarball', async () => {
    const started = await app().started!;
    const resolved = started.library.startsWith('file:') ? fileURLToPath(started.library) : started.library;
    expect(resolved.startsWith(library())).toBe(true);
  });

  it('heals its HealthModule component (the heal ran, the re-check passed) and answers /health/live and /health/ready', async () => {
    const p = await port();
    await eventually('/health/ready answers 200', async () => {
      const ready = await get(p, '/health/ready');
      return { ok: ready.status === 200, seen: ready.body };
    });
    expect(await get(p, '/cache')).toMatchObject({ status: 200, body: { connected: true, heals: 1 } });
    const ready = await get(p, '/health/ready');
    expect(ready).toMatchObject({
      status: 200,
      body: { status: 'ok', info: { cache: { status: 'up', health: 'HEALTHY', heal: { attempts: 1, lastResult: 'success' } } } },
    });
    expect(await get(p, '/health/live')).toMatchObject({ status: 200, body: { status: 'ok', info: { 'event-loop': { status: 'up' } } } });
  });

  it('answers 504 when @CircuitBreaker times a call out (aborting it), and 503 with Retry-After once it opens', async () => {
    const p = await port();
    expect(await get(p, '/quotes/q1')).toMatchObject({ status: 200, body: { id: 'q1', price: 42 } });
    const timedOut = await get(p, `/quotes/hang-${name}`);
    expect(timedOut.status).toBe(504);
    // The breaker's signal reached fetch(): the downstream saw the call abandoned.
    await eventually('the downstream sees the timed-out call closed', async () => ({
      ok: downstream!.abandoned.has(`/quotes/hang-${name}`),
      seen: [...downstream!.abandoned],
    }));
    expect((await get(p, '/quotes/fail-1')).status).toBe(502);
    expect((await get(p, '/quotes/fail-2')).status).toBe(502); // third failure in a row: the breaker opens
    const rejected = await get(p, '/quotes/q1');
    expect(rejected.status).toBe(503);
    expect(Number(rejected.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(rejected.headers['retry-after'])).toBeLessThanOrEqual(30);
  });

  it('stops on SIGTERM through its shutdown hooks, having written nothing to stderr', async () => {
    await port();
    // Nest runs the shutdown hooks, then re-raises the signal.
    expect(await stopApp(app())).toEqual({ code: null, signal: 'SIGTERM' });
    expect(app().stdout).toContain('{"shutdown":"SIGTERM"}');
    expect(app().stderr).toBe('');
  });
});
