// The embedded database's worker thread: PGlite and its socket server, off the daemon's event loop.
// Started by EmbeddedPostgres; answers each PgliteRequest; exits on its own once closed.
import { parentPort, workerData } from 'node:worker_threads';
import { PgliteHost } from './pglite-host.js';
import type { PgliteErrorData, PgliteRequest, PgliteWorkerData, PgliteWorkerMessage } from './pglite.protocol.js';

/** How often the queue length is copied to the shared counter the main thread reads. */
const STATS_INTERVAL_MS = 5;

const port = parentPort!;
const { options, stats } = workerData as PgliteWorkerData;
const queued = new Int32Array(stats);
const post = (message: PgliteWorkerMessage): void => port.postMessage(message);
const host = new PgliteHost(options, {
  warn: (message) => post({ type: 'log', level: 'warn', message }),
  debug: (message) => post({ type: 'log', level: 'debug', message }),
});
/** Started by the first read of the counter (tests, diagnostics): the thread does not wake for it otherwise. */
let statsTimer: NodeJS.Timeout | undefined;

port.on('message', (request: PgliteRequest) => {
  run(request).then(
    (value) => post({ type: 'reply', id: request.id, ok: true, value }),
    (error: unknown) => post({ type: 'reply', id: request.id, ok: false, error: errorData(error) }),
  );
});

async function run({ op }: PgliteRequest): Promise<string | undefined> {
  switch (op) {
    case 'start':
      return host.start();
    case 'stop':
      return void (await host.stop());
    case 'watch':
      statsTimer ??= setInterval(() => Atomics.store(queued, 0, host.queuedQueries), STATS_INTERVAL_MS).unref();
      return undefined;
    case 'close':
      await host.close();
      clearInterval(statsTimer);
      // Nothing else holds the thread open: it exits once this reply is sent.
      setImmediate(() => port.close());
      return undefined;
  }
}

function errorData(error: unknown): PgliteErrorData {
  const { message, code } = (error ?? {}) as { message?: unknown; code?: unknown };
  return { message: String(message ?? error), ...(typeof code === 'string' ? { code } : {}) };
}
