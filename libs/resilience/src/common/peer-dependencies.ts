/**
 * The optional peer dependencies a subpath entry needs, checked when the entry is imported so a
 * missing one fails with the package to install instead of a resolution error from deep inside
 * `dist`. Resolved from this file, as the library's own imports are. @internal
 */
export function assertPeerDependencies(entry: string, peers: readonly string[]): void {
  const missing = peers.filter((peer) => !isResolvable(peer));
  if (missing.length > 0) throw new Error(`${entry} requires ${missing.join(', ')}: npm install ${missing.join(' ')}`);
}

/** Whether `error` is the resolution failure of the package `peer` (ESM or CommonJS loader). @internal */
export function isMissingPackage(error: unknown, peer: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    typeof message === 'string' &&
    message.includes(`'${peer}'`)
  );
}

function isResolvable(peer: string): boolean {
  try {
    import.meta.resolve(peer);
    return true;
  } catch (error) {
    if (isMissingPackage(error, peer)) return false;
    throw error;
  }
}

/**
 * Compiles only when `Unlisted` is `never`: a subpath's entry.ts declares
 * `type EveryExportListed = NoneUnlisted<Exclude<keyof typeof api, keyof typeof import('./entry.js')>>`, so a value
 * exported by its index.ts but not re-exported by the entry fails the build, naming the export. @internal
 */
export type NoneUnlisted<Unlisted extends never> = Unlisted;
