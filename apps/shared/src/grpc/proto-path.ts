import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

let protoRoot: string | undefined;

/**
 * The repository's `proto/` folder. Found by walking up from this file, so the same code
 * works from `apps/shared/src` (tests) and from `dist/apps/shared/src` (the build).
 */
export function protoDir(): string {
  if (protoRoot !== undefined) return protoRoot;
  for (let dir = import.meta.dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, 'engined', 'v1', 'records.proto'))) return (protoRoot = candidate);
    if (dirname(dir) === dir) throw new Error(`proto/engined/v1/records.proto not found above ${import.meta.dirname}`);
  }
}

/** Absolute path of a file under `proto/`, e.g. `protoPath('engined/v1/records.proto')`. */
export function protoPath(relative: string): string {
  return join(protoDir(), relative);
}

/** proto-loader options shared by servers and clients: camelCase fields, defaults filled in. */
export const PROTO_LOADER_OPTIONS = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
} as const;
