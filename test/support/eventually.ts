/**
 * Resolves once `condition()` holds, polled every 50 ms; rejects after `timeoutMs` with `what()`.
 * For states only a poll can see (a process' open file descriptors, a server's connection count).
 */
export async function eventually(condition: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
