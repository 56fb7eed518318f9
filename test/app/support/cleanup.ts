/**
 * Cleanups registered by a test and run by `afterEach`/`afterAll`, most recent first. Unlike a
 * `finally` block they also run when the test times out on a promise that never settles, so a
 * failing test still releases its sockets and jest can exit.
 */
export class Cleanup {
  private readonly steps: (() => unknown)[] = [];

  add<T>(resource: T, release: (resource: T) => unknown): T {
    this.steps.push(() => release(resource));
    return resource;
  }

  async run(): Promise<void> {
    while (this.steps.length > 0) {
      try {
        await this.steps.pop()!();
      } catch {
        // Best effort: the other resources still get released.
      }
    }
  }
}
