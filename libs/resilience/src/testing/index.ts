// Public API of `@engined/resilience/testing`: helpers for an app's own tests, kept out of the
// main entry so production code never loads them.

export { FakeClock } from './fake-clock.js';
