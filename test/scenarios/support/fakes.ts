import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { type Clock, RESILIENCE_CLOCK } from '@engined/resilience';

/** The downstream refused the call (it is down). */
export class ServiceUnavailableError extends Error {
  override readonly name = 'ServiceUnavailableError';
}

/** The database connection is gone. */
export class ConnectionLostError extends Error {
  override readonly name = 'ConnectionLostError';
}

/** A domain answer, not an outage: breakers should not count it. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

export type ServiceMode = 'up' | 'slow' | 'down' | 'hang';

/**
 * A downstream service with a switch:
 * - `up` answers at once;
 * - `slow` answers after `slowMs` of clock time;
 * - `down` fails with `ServiceUnavailableError`;
 * - `hang` never answers until `releaseHanging()` (a network timeout).
 * Counts calls and peak concurrency; `restart()` brings it back up (what a heal does).
 */
@Injectable()
export class FlakyService {
  mode: ServiceMode = 'up';
  slowMs = 800;
  calls = 0;
  inFlight = 0;
  maxInFlight = 0;
  restarts = 0;
  /** `restart()` throws this many more times before it works (a service still booting). */
  failingRestarts = 0;
  private readonly hanging: (() => void)[] = [];

  constructor(@Inject(RESILIENCE_CLOCK) private readonly clock: Clock) {}

  async call(request: string): Promise<string> {
    this.calls++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      return await this.answer(request);
    } finally {
      this.inFlight--;
    }
  }

  restart(): void {
    this.restarts++;
    if (this.failingRestarts > 0) {
      this.failingRestarts--;
      throw new ServiceUnavailableError('restart failed: still booting');
    }
    this.mode = 'up';
  }

  /** Answers every hanging call (late), and returns how many there were. */
  releaseHanging(): number {
    const calls = this.hanging.splice(0);
    for (const release of calls) release();
    return calls.length;
  }

  private answer(request: string): Promise<string> {
    switch (this.mode) {
      case 'up':
        return Promise.resolve(`ok:${request}`);
      case 'slow':
        return new Promise((resolve) => this.clock.setTimeout(() => resolve(`slow:${request}`), this.slowMs));
      case 'down':
        return Promise.reject(new ServiceUnavailableError(`downstream unavailable (${request})`));
      case 'hang':
        return new Promise((resolve) => this.hanging.push(() => resolve(`late:${request}`)));
    }
  }
}

/**
 * An in-memory database client with a server the test can kill: `kill()` takes the server down and
 * drops the connection; `restore()` brings the server back, and the client stays disconnected until
 * something calls `connect()` (what a heal does). Connects at module init, like a real pool.
 */
@Injectable()
export class FakeDatabase implements OnModuleInit {
  /** The connection string, credentials included, as a driver would put it in its errors. */
  static readonly url = 'postgres://app:s3cret@db:5432/orders';
  serverUp = true;
  connected = false;
  connects = 0;
  queries = 0;
  readonly rows = new Map<string, string>([
    ['1', 'espresso machine'],
    ['2', 'grinder'],
  ]);

  async onModuleInit(): Promise<void> {
    await this.connect();
  }

  async connect(): Promise<void> {
    this.connects++;
    if (!this.serverUp) throw new ConnectionLostError(`connect ECONNREFUSED ${FakeDatabase.url}`);
    this.connected = true;
  }

  kill(): void {
    this.serverUp = false;
    this.connected = false;
  }

  restore(): void {
    this.serverUp = true;
  }

  async query(id: string): Promise<string> {
    this.queries++;
    if (!this.connected) throw new ConnectionLostError('Connection terminated unexpectedly');
    const row = this.rows.get(id);
    if (row === undefined) throw new NotFoundError(`no row ${id}`);
    return row;
  }
}
