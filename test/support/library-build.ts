import { execFile } from 'node:child_process';
import { mkdir, readdir, rmdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';

/** The repository root. */
export const ROOT = join(import.meta.dirname, '../..');
/** libs/resilience, the package's directory. */
export const LIBRARY_DIR = join(ROOT, 'libs/resilience');

const SRC = join(LIBRARY_DIR, 'src');
const DIST = join(LIBRARY_DIR, 'dist');
const LOCK = join(LIBRARY_DIR, '.dist-build.lock');
/** Written by every `tsc -b` of the library, even one that finds nothing to emit (the `.js` files keep their times then). */
const BUILD_INFO = join(DIST, 'tsconfig.lib.tsbuildinfo');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const BUILD_TIMEOUT_MS = 120_000;

/**
 * Builds libs/resilience/dist (`tsc -b libs/resilience/tsconfig.lib.json`, as `npm run build:lib`) unless
 * its build info is newer than every source file, so suites that test the built package see the current
 * sources. One build at a time across jest workers (a lock directory), bounded by a deadline.
 */
export async function ensureLibraryBuilt(): Promise<void> {
  if (await isFresh()) return;
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  while (!(await tryLock())) {
    if (Date.now() > deadline) throw new Error(`${relative(ROOT, LOCK)} held for over ${BUILD_TIMEOUT_MS} ms (remove it if no build runs)`);
    await delay(100);
  }
  try {
    // Another worker may have built it while this one waited for the lock.
    if (await isFresh()) return;
    await promisify(execFile)(process.execPath, [TSC, '-b', join(LIBRARY_DIR, 'tsconfig.lib.json')], {
      cwd: ROOT,
      timeout: BUILD_TIMEOUT_MS,
    });
  } finally {
    await rmdir(LOCK);
  }
}

async function tryLock(): Promise<boolean> {
  try {
    await mkdir(LOCK);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** Whether the build info and each non-spec source file's `.js` exist, the build info written after every source and the build config. */
async function isFresh(): Promise<boolean> {
  const built = await stat(BUILD_INFO).catch(() => undefined);
  if (built === undefined) return false;
  const config = Math.max(
    (await stat(join(LIBRARY_DIR, 'tsconfig.lib.json'))).mtimeMs,
    (await stat(join(ROOT, 'tsconfig.json'))).mtimeMs,
  );
  if (built.mtimeMs < config) return false;
  const sources = (await readdir(SRC, { recursive: true })).filter(
    (file) => file.endsWith('.ts') && !file.endsWith('.spec.ts') && !file.includes('__fixtures__'),
  );
  for (const source of sources) {
    if ((await stat(join(DIST, source.replace(/\.ts$/, '.js'))).catch(() => undefined)) === undefined) return false;
    if ((await stat(join(SRC, source))).mtimeMs > built.mtimeMs) return false;
  }
  return true;
}
