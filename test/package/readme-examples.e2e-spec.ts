import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ensureLibraryBuilt, LIBRARY_DIR, ROOT } from '../support/library-build.js';
import { checkBlocks, describeProblems, extractTsBlocks, type BlockProblem, type TsBlock } from './support/readme-blocks.js';

// Every ```ts block of the READMEs (and of docs/, once it exists) compiles as a user would paste it into a
// Nest 12 ESM app that installed the built package.

const MARKDOWN = [
  'README.md',
  'libs/resilience/README.md',
  ...(existsSync(join(ROOT, 'docs'))
    ? readdirSync(join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.md')).map((file) => `docs/${file}`)
    : []),
];

/** A Markdown file that exercises the check itself: one broken block, and the two kinds of nocheck block. */
const SELF_TEST = {
  source: 'self-test.md',
  text: [
    '# Self test', //                                  line 1
    '```ts', //                                        line 2
    "import { CircuitBreaker } from '@engined/resilience';",
    'export const decorate = CircuitBreaker({ name: 1 });', // line 4: a number where a string belongs
    '```',
    '```ts nocheck',
    '// a fragment: only the call matters here',
    'breaker.undefinedName();',
    '```',
    '```ts nocheck',
    'missingReason();', //                             the block of line 10 says nothing
    '```',
  ].join('\n'),
};

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
const work = mkdtempSync(join(tmpdir(), 'engined-readme-'));
let blocks: TsBlock[];
let problems: BlockProblem[];

/** The consumer's directory: an ESM package whose node_modules holds a copy of the built package and links to the rest. */
function writeConsumer(): void {
  writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'readme-examples', private: true, type: 'module' }));
  const pkg = join(work, 'node_modules/@engined/resilience');
  mkdirSync(pkg, { recursive: true });
  cpSync(join(LIBRARY_DIR, 'package.json'), join(pkg, 'package.json'));
  cpSync(join(LIBRARY_DIR, 'dist'), join(pkg, 'dist'), { recursive: true, filter: (file) => !file.endsWith('.map') });
  for (const name of Object.keys({ ...manifest.dependencies, ...manifest.devDependencies })) {
    mkdirSync(dirname(join(work, 'node_modules', name)), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', name), join(work, 'node_modules', name));
  }
}

beforeAll(async () => {
  await ensureLibraryBuilt();
  writeConsumer();
  blocks = MARKDOWN.flatMap((source) => extractTsBlocks(readFileSync(join(ROOT, source), 'utf8'), source));
  problems = await checkBlocks([...blocks, ...extractTsBlocks(SELF_TEST.text, SELF_TEST.source)], work);
}, 180_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the README examples', () => {
  it('compile against the built package, every ```ts block of README.md and libs/resilience/README.md', () => {
    expect(blocks.filter((block) => block.source === 'README.md').length).toBeGreaterThan(0);
    expect(blocks.filter((block) => block.source === 'libs/resilience/README.md').length).toBeGreaterThan(0);
    expect(describeProblems(problems.filter((problem) => !problem.at.startsWith(SELF_TEST.source)))).toBe('');
  });

  it('are reported at their Markdown line when they fail; only a ```ts nocheck block that says why is skipped', () => {
    const own = problems.filter((problem) => problem.at.startsWith(SELF_TEST.source));
    expect(own.map((problem) => [problem.at, problem.message.split(':')[0]])).toEqual([
      ['self-test.md:10', 'a ```ts nocheck block must open with a comment saying why it is not compiled'],
      ['self-test.md:4', 'TS2322'],
    ]);
    expect(describeProblems(own)).toContain('fence it as ```ts nocheck');
  });
});
