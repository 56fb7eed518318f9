// `node --import ./record-imports.mjs -e "await import(...)"`: registers a resolve hook that sends every
// module URL the ES module loader resolves to this thread and, when the process exits, prints the
// packages loaded from node_modules (those, plus every file in require()'s cache) as JSON on stdout,
// on one line prefixed `LOADED_PACKAGES `.
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { MessageChannel } from 'node:worker_threads';

const urls = new Set();
const { port1, port2 } = new MessageChannel();
port1.on('message', (url) => urls.add(url));
port1.unref();
register('./record-imports.hooks.mjs', { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] });

process.on('exit', () => {
  for (const file of Object.keys(createRequire(import.meta.url).cache)) urls.add(pathToFileURL(file).href);
  const packages = new Set();
  for (const url of urls) {
    const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (match) packages.add(match[1]);
  }
  process.stdout.write(`LOADED_PACKAGES ${JSON.stringify([...packages].toSorted())}\n`);
});
