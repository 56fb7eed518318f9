import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A fenced ```ts block of a Markdown file. */
export interface TsBlock {
  /** The Markdown file, relative to the repo (`README.md`). */
  source: string;
  /** 1-based line of the opening fence; the block's line n is the file's line `fence + n`. */
  fence: number;
  code: string;
  /** The fence says ```ts nocheck: the block is not compiled. */
  nocheck: boolean;
}

const TYPECHECK = join(import.meta.dirname, 'typecheck.mjs');

/** The marker, after the language, that opts a block out of the check. */
export const NOCHECK = 'nocheck';

const FENCE = /^(\s*)(`{3,}|~{3,})(.*)$/;

/** The ```ts (or ```typescript) blocks of `markdown`, in order. */
export function extractTsBlocks(markdown: string, source: string): TsBlock[] {
  const blocks: TsBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (open === null) continue;
    const [, indent, marker, info] = open as unknown as [string, string, string, string];
    const words = info.trim().split(/\s+/);
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = FENCE.exec(lines[j]!);
      if (close !== null && close[2]![0] === marker[0] && close[2]!.length >= marker.length && close[3]!.trim() === '') break;
      body.push(lines[j]!.startsWith(indent) ? lines[j]!.slice(indent.length) : lines[j]!.trimStart());
    }
    if (/^(ts|typescript)$/i.test(words[0] ?? '')) {
      blocks.push({ source, fence: i + 1, code: body.join('\n'), nocheck: words.includes(NOCHECK) });
    }
    i = j;
  }
  return blocks;
}

/**
 * Names a fragment may use without declaring them: what a reader's app already has. Each block is a module,
 * so a block's own declaration or import of the same name shadows these.
 */
export const PRELUDE = `// Placeholders for README fragments (a block's own declarations shadow them).
declare const app: import('@nestjs/common').INestApplication;
declare const grpcOptions: import('@nestjs/microservices').GrpcOptions;
declare const logger: import('@nestjs/common').LoggerService;
`;

/** The compiler options of a Nest 12 ESM app (`nest new`), type-checking only. */
const COMPILER_OPTIONS = {
  module: 'nodenext',
  moduleResolution: 'nodenext',
  esModuleInterop: true,
  isolatedModules: true,
  emitDecoratorMetadata: true,
  experimentalDecorators: true,
  target: 'ES2023',
  skipLibCheck: true,
  strict: true,
  strictPropertyInitialization: false,
  types: ['node'],
  noEmit: true,
  // A block without imports is a module too: blocks never see each other's names.
  moduleDetection: 'force',
};

/** A block that failed, located in its Markdown file. */
export interface BlockProblem {
  /** `README.md:312` */
  at: string;
  message: string;
}

/**
 * Type-checks `blocks` as one TypeScript program in `dir` (which holds a package.json with `"type": "module"` and a
 * node_modules with the built package), one module per block, with {@link PRELUDE}. Resolves with every
 * error, at the Markdown line it comes from; blocks marked nocheck are left out, but must say why.
 */
export async function checkBlocks(blocks: readonly TsBlock[], dir: string): Promise<BlockProblem[]> {
  const problems: BlockProblem[] = [];
  const files = new Map<string, TsBlock>();
  mkdirSync(join(dir, 'blocks'), { recursive: true });
  for (const block of blocks) {
    if (block.nocheck) {
      if (!/^\s*(\/\/|\/\*)/.test(block.code)) {
        problems.push({ at: `${block.source}:${block.fence}`, message: `a \`\`\`ts ${NOCHECK} block must open with a comment saying why it is not compiled` });
      }
      continue;
    }
    const file = `blocks/${block.source.replace(/[^\w.-]+/g, '_')}-${block.fence}.ts`;
    files.set(file, block);
    writeFileSync(join(dir, file), block.code + '\n');
  }
  writeFileSync(join(dir, 'prelude.d.ts'), PRELUDE);
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: COMPILER_OPTIONS, files: ['prelude.d.ts', ...files.keys()] }, null, 2));
  const output = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, [TYPECHECK, 'tsconfig.json'], { cwd: dir, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      error ? reject(new Error(`typecheck.mjs failed: ${stderr || error.message}`)) : resolve(stdout),
    );
  });
  for (const json of output.split('\n').filter((line) => line !== '')) {
    const { file, line, code, message } = JSON.parse(json) as { file?: string; line?: number; code: string; message: string };
    const block = file === undefined ? undefined : files.get(file);
    if (block === undefined || line === undefined) {
      problems.push({ at: file === undefined ? 'tsconfig' : `${file}${line === undefined ? '' : `:${line}`}`, message: `${code}: ${message}` });
      continue;
    }
    const text = block.code.split('\n')[line - 1]?.trim();
    problems.push({ at: `${block.source}:${block.fence + line}`, message: `${code}: ${message}${text ? `\n      ${text}` : ''}` });
  }
  return problems;
}

/** The failure message: each problem, then how to fix or mark a block. */
export function describeProblems(problems: readonly BlockProblem[]): string {
  if (problems.length === 0) return '';
  return [
    `${problems.length} problem(s) in the \`\`\`ts blocks of the READMEs:`,
    '',
    ...problems.map((problem) => `${problem.at}: ${problem.message}`),
    '',
    'Each ```ts block is compiled on its own, as an ES module of a Nest 12 app (tsconfig: module nodenext, strict,',
    'decorators), against the built package: `@engined/resilience` and its subpaths through package.json `exports`.',
    'To fix a block: import what it uses (from the package, Nest, node:*), and declare what it leaves to the reader',
    '(`interface Quote { id: string }`, `declare function createPool(): Pool;`). Fragments may use the placeholders',
    `declared in test/package/support/readme-blocks.ts (PRELUDE): ${[...PRELUDE.matchAll(/^declare const (\w+)/gm)].map((m) => m[1]).join(', ')}.`,
    `A block that cannot compile on its own (part of a class, pseudo-code) opts out: fence it as \`\`\`ts ${NOCHECK}`,
    'and open it with a comment saying why.',
  ].join('\n');
}
