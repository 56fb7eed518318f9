import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT } from '../../support/library-build.js';

/**
 * A Nest 12 app as `nest new` scaffolds it (@nestjs/schematics 12, src/lib/application/files/ts-esm and ts),
 * or as an older app's tsconfig has it, using @engined/resilience the way its README shows.
 */
export interface ConsumerVariant {
  /** Directory name, and the test's title. */
  name: string;
  /** Where its tsconfig comes from. */
  origin: string;
  /** package.json `type`: ESM output for `module: nodenext`, CommonJS without it. */
  type?: 'module';
  /** tsconfig.json `compilerOptions` (the template's test-runner `types` left out: the app has no tests). */
  compilerOptions: Record<string, unknown>;
}

const NEST_12_TEMPLATE = {
  module: 'nodenext',
  moduleResolution: 'nodenext',
  resolvePackageJsonExports: true,
  esModuleInterop: true,
  isolatedModules: true,
  declaration: true,
  removeComments: true,
  emitDecoratorMetadata: true,
  experimentalDecorators: true,
  allowSyntheticDefaultImports: true,
  target: 'ES2023',
  sourceMap: true,
  outDir: './dist',
  incremental: true,
  skipLibCheck: true,
  strict: true,
  strictPropertyInitialization: false,
  types: ['node'],
};

/** Nest ≤ 11's `nest new` tsconfig (`baseUrl`, deprecated by TypeScript 6, left out). */
const NEST_11_TEMPLATE = {
  module: 'commonjs',
  declaration: true,
  removeComments: true,
  emitDecoratorMetadata: true,
  experimentalDecorators: true,
  allowSyntheticDefaultImports: true,
  target: 'ES2023',
  sourceMap: true,
  outDir: './dist',
  incremental: true,
  skipLibCheck: true,
  strictNullChecks: false,
  noImplicitAny: false,
  strictBindCallApply: false,
  noFallthroughCasesInSwitch: false,
  types: ['node'],
};

export const CONSUMER_VARIANTS: ConsumerVariant[] = [
  { name: 'esm', origin: '`nest new` (Nest 12 default, --type esm)', type: 'module', compilerOptions: NEST_12_TEMPLATE },
  { name: 'cjs', origin: '`nest new --type cjs` (Nest 12: module nodenext, no "type")', compilerOptions: NEST_12_TEMPLATE },
  {
    name: 'cjs-commonjs',
    origin: 'module commonjs, moduleResolution unset (bundler in TypeScript 6)',
    compilerOptions: NEST_11_TEMPLATE,
  },
  {
    name: 'cjs-node10',
    origin: 'module commonjs, moduleResolution node10 (subpaths typed through typesVersions)',
    compilerOptions: { ...NEST_11_TEMPLATE, moduleResolution: 'node10', ignoreDeprecations: '6.0' },
  },
];

/** What the app imports at run time, and its compiler's types: linked from the workspace's node_modules. */
const LINKED = [
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/platform-express',
  '@nestjs/schedule',
  '@nestjs/terminus',
  'reflect-metadata',
  'rxjs',
  '@types/node',
  'typescript',
];

/** The version of a workspace package, for the app's package.json. */
function installedVersion(name: string): string {
  return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * Writes the app into `dir`: package.json naming its Nest 12 dependencies and the tarball, tsconfig.json,
 * tsconfig.build.json and src/, and links the workspace's installed dependencies into node_modules. The
 * library itself is not linked: the caller unpacks the tarball into node_modules/@engined/resilience.
 * `entryPoints` are the package's `exports` subpaths; src/entry-points.ts imports the types of each one.
 */
export function writeConsumerApp(dir: string, variant: ConsumerVariant, tarball: string, entryPoints: readonly string[]): void {
  const esm = variant.type === 'module';
  const dependencies = Object.fromEntries(LINKED.filter((name) => !name.startsWith('@types/') && name !== 'typescript').map((name) => [name, `^${installedVersion(name)}`]));
  const manifest = {
    name: `consumer-${variant.name}`,
    version: '0.0.1',
    private: true,
    ...(esm && { type: 'module' }),
    scripts: { build: 'tsc -p tsconfig.build.json', 'start:prod': 'node dist/main' },
    dependencies: { '@engined/resilience': `file:${tarball}`, ...dependencies },
    devDependencies: { '@types/node': `^${installedVersion('@types/node')}`, typescript: `~${installedVersion('typescript')}` },
  };
  const files: Record<string, string> = {
    'package.json': JSON.stringify(manifest, null, 2),
    'tsconfig.json': JSON.stringify({ compilerOptions: variant.compilerOptions }, null, 2),
    // The template's, plus `rootDir`: tsc 6 refuses to infer it (TS5011) when the sources sit in src/ only.
    'tsconfig.build.json': JSON.stringify(
      { extends: './tsconfig.json', compilerOptions: { rootDir: './src' }, include: ['src'], exclude: ['node_modules', 'test', 'dist', '**/*spec.ts'] },
      null,
      2,
    ),
    ...appSources(esm ? '.js' : '', esm, entryPoints),
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  for (const name of LINKED) {
    mkdirSync(dirname(join(dir, 'node_modules', name)), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', name), join(dir, 'node_modules', name));
  }
}

/** src/: relative imports with `ext` (`.js` in ESM, none in the CommonJS templates). */
function appSources(ext: string, esm: boolean, entryPoints: readonly string[]): Record<string, string> {
  return {
    'src/main.ts': `import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module${ext}';

async function bootstrap() {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  await app.listen(process.env.PORT ?? 3000);
  // For the test: the port bound (PORT=0), and the file the library was loaded from.
  const library = ${esm ? "import.meta.resolve('@engined/resilience')" : "require.resolve('@engined/resilience')"};
  console.log(JSON.stringify({ port: (app.getHttpServer().address() as AddressInfo).port, library }));
}
${esm ? 'await bootstrap();' : 'bootstrap();'}
`,
    'src/app.module.ts': `import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { BreakerExceptionFilter, ResilienceModule } from '@engined/resilience';
import { HealthModule } from '@engined/resilience/health';
import { CacheClient, CacheController } from './cache${ext}';
import { QuotesClient, QuotesController } from './quotes${ext}';

@Module({
  imports: [
    ResilienceModule.forRoot(),
    HealthModule.forRoot({
      startupGraceMs: 0,
      drainDelayMs: 0,
      http: { details: 'always' },
      components: [{ name: 'event-loop', type: 'internal', probes: ['liveness'], check: () => true }],
    }),
  ],
  controllers: [QuotesController, CacheController],
  providers: [QuotesClient, CacheClient, { provide: APP_FILTER, useClass: BreakerExceptionFilter }],
})
export class AppModule {}
`,
    'src/quotes.ts': `import { BadGatewayException, Controller, Get, Injectable, Param } from '@nestjs/common';
import { BreakerSignal, CircuitBreaker } from '@engined/resilience';

export interface Quote {
  id: string;
  price: number;
}

@Injectable()
export class QuotesClient {
  private readonly url = process.env.QUOTES_URL ?? 'http://quotes.internal';

  // Opens after 3 failures in a row, for 30 s; a call may take 1 s (a first call in a fresh process on a busy CI machine can take a few hundred ms).
  @CircuitBreaker({ name: 'quotes', window: { kind: 'consecutive', failures: 3 }, openDurationMs: 30_000, timeoutMs: 1_000 })
  async find(id: string, @BreakerSignal() signal?: AbortSignal): Promise<Quote> {
    const response = await fetch(\`\${this.url}/quotes/\${encodeURIComponent(id)}\`, { signal });
    if (!response.ok) throw new BadGatewayException(\`quotes answered \${response.status}\`);
    return (await response.json()) as Quote;
  }
}

@Controller('quotes')
export class QuotesController {
  constructor(private readonly quotes: QuotesClient) {}

  @Get(':id')
  get(@Param('id') id: string): Promise<Quote> {
    return this.quotes.find(id);
  }
}
`,
    'src/cache.ts': `import { Controller, Get, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { HealComponent, HealthComponent } from '@engined/resilience/health';

@Injectable()
export class CacheClient implements OnApplicationShutdown {
  // Starts disconnected: the first check fails, the heal connects, the re-check passes.
  connected = false;
  heals = 0;

  @HealthComponent({ name: 'cache', type: 'cache', intervalMs: 200, failureThreshold: 1 })
  ping(): boolean {
    return this.connected;
  }

  @HealComponent('cache')
  reconnect(): void {
    this.heals += 1;
    this.connected = true;
  }

  onApplicationShutdown(signal?: string): void {
    console.log(JSON.stringify({ shutdown: signal }));
  }
}

@Controller('cache')
export class CacheController {
  constructor(private readonly cache: CacheClient) {}

  @Get()
  state(): { connected: boolean; heals: number } {
    return { connected: this.cache.connected, heals: this.cache.heals };
  }
}
`,
    // Every subpath's typings, resolved the way this tsconfig resolves packages (exports, or typesVersions).
    'src/entry-points.ts': `${entryPoints.map((entry, i) => `import type * as entry${i} from '${entry}';`).join('\n')}

export type EntryPoints = [${entryPoints.map((_, i) => `typeof entry${i}`).join(', ')}];
`,
  };
}
