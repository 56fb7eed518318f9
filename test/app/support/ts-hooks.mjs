// Node module hooks that run the repository's TypeScript sources in a child process, as jest
// runs them in-process: `.js` imports resolve to the `.ts` file beside them, `@engined/resilience`
// (and each subpath entry, `@engined/resilience/health`, ...) to the library's source, and each file is transpiled on load (decorators and their metadata
// included). Used by the process-level e2e tests, so they test the sources without a build.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
let ts;
// Transpiled files by content hash: later children skip loading TypeScript for unchanged files.
const CACHE_DIR = join(tmpdir(), 'engined-ts-hooks-cache');

const LIBRARY = new URL('../../../libs/resilience/src/', import.meta.url);
const LIBRARY_ENTRY = /^@engined\/resilience(?:\/([a-z-]+))?$/;
const COMPILER_OPTIONS = () => ({
  module: ts.ModuleKind.ESNext,
  target: ts.ScriptTarget.ES2023,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  useDefineForClassFields: true,
  inlineSourceMap: true,
});

export function resolve(specifier, context, nextResolve) {
  const entry = LIBRARY_ENTRY.exec(specifier);
  if (entry) return { url: new URL(entry[1] ? `${entry[1]}/index.ts` : 'index.ts', LIBRARY).href, shortCircuit: true };
  if (context.parentURL?.endsWith('.ts') && specifier.startsWith('.') && specifier.endsWith('.js')) {
    const candidate = new URL(`${specifier.slice(0, -3)}.ts`, context.parentURL);
    if (existsSync(fileURLToPath(candidate))) return { url: candidate.href, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

export function load(url, context, nextLoad) {
  if (!url.endsWith('.ts')) return nextLoad(url, context);
  return { format: 'module', source: transpile(fileURLToPath(url)), shortCircuit: true };
}

function transpile(fileName) {
  const source = readFileSync(fileName, 'utf8');
  const cached = join(CACHE_DIR, `${createHash('sha256').update(fileName).update('\0').update(source).digest('hex')}.js`);
  if (existsSync(cached)) return readFileSync(cached, 'utf8');
  ts ??= require('typescript');
  const { outputText } = ts.transpileModule(source, { compilerOptions: COMPILER_OPTIONS(), fileName });
  mkdirSync(CACHE_DIR, { recursive: true });
  // Write then rename: a concurrent child never reads half a file.
  const partial = `${cached}.${process.pid}.partial`;
  writeFileSync(partial, outputText);
  renameSync(partial, cached);
  return outputText;
}

