import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LIBRARY_DIR, ROOT } from '../../support/library-build.js';

const run = promisify(execFile);
const PACK_TIMEOUT_MS = 120_000;

/** The package's manifest fields the checks read. */
export interface LibraryManifest {
  name: string;
  version: string;
  exports: Record<string, string | { types: string; default: string }>;
  typesVersions: Record<string, Record<string, string[]>>;
  peerDependencies: Record<string, string>;
}

/** A tarball made by `npm pack`, and the paths it holds (relative to the package root: `dist/index.js`). */
export interface PackedLibrary {
  tarball: string;
  files: string[];
}

/**
 * `npm pack` of libs/resilience as a maintainer runs it: its `prepack` wipes `dist` and rebuilds it. It runs
 * in a copy of the repo's files that shape the tarball (the root package.json with its workspaces, the
 * tsconfigs, the .gitignore files; libs/resilience without dist) under `dir`, with node_modules linked to
 * the repo's, so libs/resilience/dist, which other suites read meanwhile, is never touched.
 */
export async function packLibrary(dir: string): Promise<PackedLibrary> {
  const repo = join(dir, 'repo');
  const pkg = join(repo, 'libs/resilience');
  mkdirSync(pkg, { recursive: true });
  for (const file of ['package.json', 'tsconfig.json', '.gitignore']) cpSync(join(ROOT, file), join(repo, file));
  const skipped = new Set(['dist', 'node_modules', '.dist-build.lock']);
  for (const entry of readdirSync(LIBRARY_DIR)) {
    if (!skipped.has(entry) && !entry.endsWith('.tgz')) cpSync(join(LIBRARY_DIR, entry), join(pkg, entry), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(repo, 'node_modules'));
  const out = join(dir, 'pack');
  mkdirSync(out);
  await run('npm', ['pack', '--pack-destination', out, '--loglevel', 'error'], {
    cwd: pkg,
    timeout: PACK_TIMEOUT_MS,
    env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' },
  });
  const [name, ...others] = readdirSync(out);
  if (name === undefined || others.length > 0) throw new Error(`npm pack left ${JSON.stringify(readdirSync(out))} in ${out}`);
  const tarball = join(out, name);
  const { stdout } = await run('tar', ['-tzf', tarball], { maxBuffer: 16 * 1024 * 1024 });
  const files = stdout
    .split('\n')
    .filter((line) => line !== '' && !line.endsWith('/'))
    .map((line) => line.replace(/^package\//, ''));
  return { tarball, files };
}

/** Unpacks the tarball into `target` (node_modules/@engined/resilience of an app), as npm installs it. */
export async function extractTarball(tarball: string, target: string): Promise<void> {
  mkdirSync(target, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
}

/**
 * What the tarball lacks or holds by mistake, one line each: spec files and fixtures; each `exports` target
 * (runtime file and typings); each `typesVersions` target (the typings `moduleResolution: node10` reads);
 * the source maps' sources; README, LICENSE.
 */
export function tarballProblems(files: readonly string[], manifest: LibraryManifest): string[] {
  const held = new Set(files);
  const targets = Object.values(manifest.exports).flatMap((target) => (typeof target === 'string' ? [target] : [target.types, target.default]));
  const typesVersions = Object.values(manifest.typesVersions).flatMap((paths) => Object.values(paths).flat());
  const required = [...targets, ...typesVersions].map((path) => path.replace(/^\.\//, ''));
  const maps = files.filter((file) => file.endsWith('.js.map')).map((map) => map.replace(/^dist\//, 'src/').replace(/\.js\.map$/, '.ts'));
  return [
    ...files.filter((file) => /\.spec\.|__fixtures__/.test(file)).map((file) => `holds a test file: ${file}`),
    ...[...new Set([...required, 'package.json', 'README.md', 'LICENSE'])].filter((file) => !held.has(file)).map((file) => `lacks ${file}`),
    ...(maps.length === 0 ? ['holds no source maps (dist/**/*.js.map)'] : []),
    ...maps.filter((source) => !held.has(source)).map((source) => `lacks ${source}, the source a map points at`),
  ];
}
