import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** The commit before the breaker core was split by role (issue 13 §5): the A/B groups' default baseline. */
export const SPLIT_BASELINE = 'c2579b90928a7478511dfc3d1f39e9ec3d99475e';

/** A commit's library, built for an A/B comparison. */
export interface BaselineLibrary {
  readonly commit: string;
  /** Path of its built `index.js`. */
  readonly entry: string;
}

/**
 * Builds (once per commit) the library of `ref` from `git archive <commit> libs/resilience tsconfig.json`
 * into `dist/ab/<commit>`, with that commit's own tsconfig.lib.json. Inside the repository, so that its
 * imports resolve to the same node_modules as this tree's library.
 */
export function buildBaselineLibrary(root: string, ref: string, log: (message: string) => void): BaselineLibrary {
  const commit = git(root, 'rev-parse', '--verify', `${ref}^{commit}`);
  const dir = path.join(root, 'dist', 'ab', commit);
  const entry = path.join(dir, 'libs', 'resilience', 'dist', 'index.js');
  if (existsSync(entry)) {
    log(`  baseline library: reusing ${path.relative(root, entry)}`);
    return { commit, entry };
  }
  log(`  baseline library: building ${commit.slice(0, 12)} into ${path.relative(root, dir)}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const archive = execFileSync('git', ['-C', root, 'archive', commit, 'libs/resilience', 'tsconfig.json'], { maxBuffer: 256 * 1024 * 1024 });
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', path.join(dir, 'libs', 'resilience', 'tsconfig.lib.json')], { stdio: 'inherit' });
  return { commit, entry };
}

/** How this tree is named in a table: its commit, and whether the library has uncommitted changes. */
export function describeTree(root: string): string {
  const head = git(root, 'rev-parse', '--short', 'HEAD');
  const dirty = git(root, 'status', '--porcelain', '--', 'libs/resilience/src') !== '';
  return `${head}${dirty ? ' + uncommitted changes' : ''}`;
}

export function repoRoot(): string {
  return git(process.cwd(), 'rev-parse', '--show-toplevel');
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-C', cwd, ...args], { encoding: 'utf8' }).trim();
}
