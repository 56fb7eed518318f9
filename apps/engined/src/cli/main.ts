import { runCli } from './engined-client.js';

// Ctrl-C ends `events --follow` cleanly; a second one exits at once.
const stop = new AbortController();
process.once('SIGINT', () => {
  stop.abort();
  process.once('SIGINT', () => process.exit(130));
});

process.exitCode = await runCli(process.argv.slice(2), {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  env: process.env,
  signal: stop.signal,
});
