// Summarises V8 CPU profiles (`node --cpu-prof`, e.g. BENCH_CHILD_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"):
// where the sampled time went, by package (or node internals, wasm, GC, idle) and by function, self time.
// Usage: node dist/bench/cpu-profile.js <file.cpuprofile> [...] [--top=<n>]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** The bucket of a frame: a package under node_modules, the repository's own code, node internals, or V8's pseudo-frames. */
function bucketOf({ functionName, url }: ProfileNode['callFrame']): string {
  if (url === '') return `(${functionName.replace(/[()]/g, '') || 'anonymous'})`;
  if (url.startsWith('wasm://')) return 'wasm (PGlite)';
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const own = /\/dist\/(apps|libs|bench)\/([^/]+)/.exec(url) ?? /\/(apps|libs|bench)\/([^/]+)/.exec(url);
  return own ? `${own[1]}/${own[2]}` : url;
}

function summarise(file: string, top: number): string[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const buckets = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)!;
    const us = profile.timeDeltas[i] ?? 0;
    total += us;
    const bucket = bucketOf(node.callFrame);
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + us);
    const name = `${node.callFrame.functionName || '(anonymous)'} ${bucket}${node.callFrame.url ? `:${node.callFrame.lineNumber + 1}` : ''}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
  });
  const rows = (map: Map<string, number>): string[] =>
    [...map.entries()]
      .toSorted((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => `  ${((us / total) * 100).toFixed(1).padStart(5)} %  ${(us / 1_000).toFixed(0).padStart(7)} ms  ${name}`);
  return [`${file}: ${(total / 1e6).toFixed(1)} s sampled`, ' by bucket (self time):', ...rows(buckets), ' by function (self time):', ...rows(functions)];
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '15' } } });
for (const file of positionals) console.log(`${summarise(file, Number(values.top)).join('\n')}\n`);
