import { Agent, request } from 'node:http';
import { BenchChild } from '../child-process.js';
import { LatencySamples, type LatencySummary } from '../latency.js';
import { DETAILS_TOKEN, HANG_MS, serverKey } from './ready-server.constants.js';

/** Requests in flight: one (a lone prober) and a few (several probers, or a load balancer's health checks). */
export const READY_CONCURRENCY = [1, 4] as const;
/** Timed requests per case and concurrency. */
export const READY_REQUESTS = 1_000;
/** Untimed requests per case before them. */
export const READY_WARMUP_REQUESTS = 200;
/** The timed requests of one concurrency stop early after this long, so that every block fits inside the hang. */
const BLOCK_BUDGET_MS = 4_000;

interface ReadyCase {
  readonly name: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  /** Every response must have this status and contain this text. */
  readonly status: number;
  readonly body: string;
}

const cases: readonly ReadyCase[] = [
  { name: 'GET /ping (plain Nest route, same app)', path: '/ping', headers: {}, status: 200, body: '"status":"ok"' },
  { name: 'GET /health/ready, status only (default details: never)', path: '/health/ready', headers: {}, status: 200, body: '{"status":"ok"}' },
  {
    name: 'GET /health/ready, every component described (bearer token)',
    path: '/health/ready',
    headers: { authorization: `Bearer ${DETAILS_TOKEN}` },
    status: 200,
    body: '"database":{"health":"HEALTHY"',
  },
];

export interface ReadyLatency {
  readonly name: string;
  readonly concurrency: number;
  /** Client side: from sending the request to the end of the response body. */
  readonly client: LatencySummary;
  /** Server side: from the first middleware to the last byte handed to the socket. */
  readonly server: LatencySummary;
}

export interface ReadyLatencyRun {
  readonly results: readonly ReadyLatency[];
  /** ms from the start of the hanging check to the end of the last timed request. */
  readonly measuredWithinMs: number;
}

/**
 * Starts the ready-server child, waits until its `database` check hangs, then, for each concurrency,
 * sends every case's requests (warm-up, then timed, the cases interleaved) while the check is still in flight.
 * Fails if the hang ended before the last request.
 */
export async function measureReadyLatency(log: (message: string) => void): Promise<ReadyLatencyRun> {
  const child = BenchChild.start(new URL('./ready-server.child.js', import.meta.url), [], 'health ready-server');
  const agent = new Agent({ keepAlive: true, maxSockets: Math.max(...READY_CONCURRENCY) });
  try {
    const { port } = await child.next<{ type: 'ready'; port: number }>('ready');
    await child.next('hang-started');
    const hangStarted = performance.now();
    const results: ReadyLatency[] = [];
    for (const concurrency of READY_CONCURRENCY) {
      log(`  /health/ready while the database check hangs: ${concurrency} in flight`);
      await load(agent, port, concurrency, READY_WARMUP_REQUESTS, cases.map(() => new LatencySamples()));
      await serverStats(child); // drops the warm-up
      const samples = cases.map(() => new LatencySamples());
      await load(agent, port, concurrency, READY_REQUESTS, samples, performance.now() + BLOCK_BUDGET_MS);
      const stats = await serverStats(child);
      for (const [i, readyCase] of cases.entries()) {
        const server = stats[serverKey(readyCase.path, readyCase.headers.authorization !== undefined)];
        if (server === undefined || server.count !== samples[i]!.count) {
          throw new Error(`${readyCase.name}: the server saw ${server?.count ?? 0} requests, the client sent ${samples[i]!.count}`);
        }
        results.push({
          name: readyCase.name,
          concurrency,
          client: samples[i]!.summary(),
          server,
        });
      }
    }
    const measuredWithinMs = performance.now() - hangStarted;
    if (child.has('hang-ended') || measuredWithinMs >= HANG_MS) {
      throw new Error(`the requests took ${Math.round(measuredWithinMs)} ms: longer than the ${HANG_MS} ms hang they were meant to overlap`);
    }
    return { results, measuredWithinMs };
  } finally {
    agent.destroy();
    await child.stop().finally(() => child.kill());
  }
}

async function serverStats(child: BenchChild): Promise<Record<string, LatencySummary>> {
  child.send({ type: 'stats' });
  return (await child.next<{ type: 'stats'; stats: Record<string, LatencySummary> }>('stats')).stats;
}

/**
 * `perCase` requests of every case, `concurrency` at a time: each worker sends the cases in turn, so
 * every case meets the same moments of load on this shared machine. Each request is timed from send
 * to the end of its body, into the samples of its case.
 */
async function load(agent: Agent, port: number, concurrency: number, perCase: number, samples: readonly LatencySamples[], deadline = Infinity): Promise<void> {
  let issued = 0;
  const total = perCase * cases.length;
  const worker = async (): Promise<void> => {
    while (issued < total && performance.now() < deadline) {
      const index = issued++ % cases.length;
      const readyCase = cases[index]!;
      const started = performance.now();
      const { status, body } = await get(agent, port, readyCase);
      samples[index]!.add(performance.now() - started);
      if (status !== readyCase.status || !body.includes(readyCase.body)) {
        throw new Error(`${readyCase.name}: expected ${readyCase.status} with ${readyCase.body}, got ${status} ${body.slice(0, 300)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

function get(agent: Agent, port: number, readyCase: ReadyCase): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: readyCase.path, headers: readyCase.headers, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
