/** How long the `database` check of the ready-server child hangs, from its second run on. */
export const HANG_MS = 10_000;
/** Bearer token that makes the child's health endpoints show every component. */
export const DETAILS_TOKEN = 'bench-details-token';
/** Components of the child app: the hanging database, then four that answer at once. */
export const READY_COMPONENTS = 5;

/** How the child files the server-side latency of a request: its path, and whether it asked for details. */
export function serverKey(path: string, withToken: boolean): string {
  return withToken ? `${path} (token)` : path;
}
