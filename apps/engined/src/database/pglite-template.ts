import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

const GZIP = 'application/x-gzip';

/** Where the template cache reports a problem (a Nest `Logger`, or the worker's messages to the main thread). */
export interface TemplateLogger {
  warn(message: string): void;
  debug(message: string): void;
}

/**
 * A new in-memory PGlite. Creating a cluster (initdb) takes seconds; loading a dump of a
 * fresh one takes about one, so the first start saves such a dump under
 * `node_modules/.cache/engined/` (keyed by the PGlite version) and later starts load it.
 * Any problem with the cache falls back to a plain `PGlite.create()`.
 */
export async function createInMemoryPglite(logger: TemplateLogger): Promise<PGlite> {
  const file = templateFile();
  if (file && existsSync(file)) {
    try {
      return await PGlite.create({ loadDataDir: new Blob([await readFile(file)], { type: GZIP }) });
    } catch (error) {
      logger.warn(`ignoring the PGlite template cache ${file}: ${String(error)}`);
      await rm(file, { force: true });
    }
  }
  const db = await PGlite.create();
  if (file) await saveTemplate(db, file, logger);
  return db;
}

/** Written before any schema exists, so it holds an empty cluster and nothing else. */
async function saveTemplate(db: PGlite, file: string, logger: TemplateLogger): Promise<void> {
  try {
    const dump = await db.dumpDataDir('gzip');
    await mkdir(dirname(file), { recursive: true });
    // Write then rename: a concurrent start never reads a half-written file.
    const partial = `${file}.${process.pid}.partial`;
    await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
    await rename(partial, file);
  } catch (error) {
    logger.debug(`could not cache a PGlite template: ${String(error)}`);
  }
}

let cachedPath: string | null | undefined;

/** `node_modules/.cache/engined/pglite-<version>.tar.gz` next to the installed PGlite, or null if not found. */
function templateFile(): string | null {
  if (cachedPath !== undefined) return cachedPath;
  cachedPath = null;
  try {
    let dir = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
    while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
    const { name, version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
    const nodeModules = dirname(dirname(dir)); // <node_modules>/@electric-sql/pglite
    if (name === '@electric-sql/pglite' && version && nodeModules.endsWith('node_modules')) {
      cachedPath = join(nodeModules, '.cache', 'engined', `pglite-${version}.tar.gz`);
    }
  } catch {
    // No cache: every start runs initdb.
  }
  return cachedPath;
}
