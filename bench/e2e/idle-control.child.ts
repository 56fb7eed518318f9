// The control of the e2e group's event-loop section: a Node process that does nothing but measure its own
// event-loop delay (as prom-client does: monitorEventLoopDelay, 10 ms resolution) and answer a plain HTTP
// route, so that the machine's own floor shows next to the daemon's numbers.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { childChannel, runChild } from '../child-process.js';

runChild(async () => {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  const server = createServer((_request, response) => response.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const channel = childChannel(async () => {
    histogram.disable();
    await new Promise((resolve) => server.close(resolve));
  });
  void (async () => {
    for (;;) {
      await channel.next('start');
      histogram.reset();
      histogram.enable();
      await channel.next('read');
      histogram.disable();
      channel.send({ type: 'read', p99Ms: histogram.percentile(99) / 1e6, maxMs: histogram.max / 1e6 });
    }
  })();
  channel.send({ type: 'ready', httpPort: (server.address() as AddressInfo).port });
});
