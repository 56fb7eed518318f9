import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { ensureLibraryBuilt, ROOT } from '../support/library-build.js';

// `npm run bench` compiles bench/ as its own project (its rootDir, its references): `npm run typecheck` checks the
// same sources under the root tsconfig, which did not catch a bench file importing outside the project's rootDir.
// The bench resolves @engined/resilience to the built package, so the check runs after the library's build.

const run = promisify(execFile);

describe('the bench project', () => {
  beforeAll(() => ensureLibraryBuilt());

  it('compiles as npm run bench compiles it (bench/tsconfig.json), without errors', async () => {
    const result = await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'bench/tsconfig.json'), '--noEmit'], { cwd: ROOT }).then(
      () => '',
      (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ''}${error.stderr ?? ''}`,
    );
    expect(result).toBe('');
  });
});
