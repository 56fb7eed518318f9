import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { CircuitBreaker, CircuitBreakerOpenError, CircuitState } from '@engined/resilience';
import { HealComponent, HealState, HealthComponent, HealthStatus } from '@engined/resilience/health';
import { ConnectionLostError, FakeDatabase, NotFoundError } from './support/fakes.js';
import { rejectionOf, type Scenario, startScenario } from './support/scenario-app.js';

const { CLOSED, OPEN, HALF_OPEN } = CircuitState;
const { HEALTHY, UNHEALTHY, UNKNOWN } = HealthStatus;

/** Reads orders through a breaker that counts lost connections only: a missing row is an answer, not an outage. */
@Injectable()
class OrdersRepository {
  constructor(private readonly db: FakeDatabase) {}

  @CircuitBreaker({
    name: 'orders-db',
    window: { kind: 'consecutive', failures: 3 },
    openDurationMs: 5_000,
    recordErrors: [ConnectionLostError],
  })
  async find(id: string): Promise<string> {
    return this.db.query(id);
  }
}

/** The database as a health component, declared on the client itself: ping to check, reconnect to heal. */
@Injectable()
class Database extends FakeDatabase {
  @HealthComponent({
    name: 'database',
    type: 'database',
    intervalMs: 5_000,
    failureThreshold: 2,
    healing: { backoff: { minMs: 1_000, factor: 2, jitter: 0 }, maxAttempts: 5 },
  })
  async ping() {
    await this.query('1');
  }

  @HealComponent('database')
  async reconnect() {
    this.connected = false;
    await this.connect();
  }
}

describe('database connection loss (original: TestDatabaseConnectionLoss)', () => {
  let s: Scenario | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  it('test_database_connection_loss_and_recovery: opens after 3 lost connections, rejects without touching the database, closes once it is back', async () => {
    s = await startScenario({ health: false, providers: [FakeDatabase, OrdersRepository] });
    const db = s.get(FakeDatabase);
    const orders = s.get(OrdersRepository);
    const breaker = s.breakers.get('orders-db')!;

    expect(await orders.find('1')).toBe('espresso machine');
    expect(await rejectionOf(orders.find('404'))).toBeInstanceOf(NotFoundError); // ignored: not an outage
    db.kill();
    await s.clock.advanceTo(1_000);
    for (let n = 1; n <= 3; n++) {
      expect(await rejectionOf(orders.find('1'))).toBeInstanceOf(ConnectionLostError);
      expect(breaker.state).toBe(n < 3 ? CLOSED : OPEN);
    }
    const queriesWhenOpened = db.queries;
    const rejected = await rejectionOf(orders.find('2'));
    expect(rejected).toBeInstanceOf(CircuitBreakerOpenError);
    expect(rejected).toMatchObject({ breaker: 'orders-db', retryAfterMs: 5_000 });
    expect(db.queries).toBe(queriesWhenOpened); // the open breaker spares the database

    db.restore();
    await db.connect();
    await s.clock.advanceTo(5_999);
    expect(await rejectionOf(orders.find('2'))).toMatchObject({ retryAfterMs: 1 }); // still open, 1 ms to go
    expect(db.queries).toBe(queriesWhenOpened);
    await s.clock.advanceTo(6_000);
    expect(await orders.find('2')).toBe('grinder'); // the half-open probe succeeds and closes the breaker

    expect(s.transitions('orders-db')).toEqual([
      [1_000, CLOSED, OPEN],
      [6_000, OPEN, HALF_OPEN],
      [6_000, HALF_OPEN, CLOSED],
    ]);
    expect(breaker.metrics()).toMatchObject({
      state: CLOSED,
      calls: { successful: 2, failed: 3, ignored: 1, notPermitted: 2 },
      transitions: 3,
      consecutiveTrips: 0,
    });
  });

  it('test_database_auto_healing_integration: UNHEALTHY after 2 failed pings; the heal reconnects within one backoff step of the server coming back', async () => {
    s = await startScenario({ providers: [Database] });
    const db = s.get(Database);
    expect(db.connects).toBe(1); // connected at module init, before the first check

    await s.clock.advanceAsync(0);
    expect(s.registry.get('database')!.status).toBe(HEALTHY);
    db.kill();
    await s.clock.advanceTo(5_000); // ping 1 fails
    expect(s.registry.get('database')!.status).toBe(HEALTHY);
    await s.clock.advanceTo(10_000); // ping 2 fails: UNHEALTHY; reconnect attempt 1 is refused
    expect(s.registry.get('database')).toMatchObject({ status: UNHEALTHY, heal: { state: HealState.BACKOFF, nextAttemptAt: 11_000 } });
    expect(s.registry.status('readiness')).toBe(UNHEALTHY);
    await s.clock.advanceTo(11_000); // attempt 2 refused; next in 2 s
    expect(s.registry.get('database')!.heal).toMatchObject({ attempts: 2, nextAttemptAt: 13_000 });

    await s.clock.advanceTo(12_000);
    db.restore(); // the server is back; the client is still disconnected
    expect(s.registry.get('database')!.status).toBe(UNHEALTHY);
    await s.clock.advanceTo(13_000); // attempt 3 reconnects; the re-check verifies it

    expect(s.healAttempts('database')).toEqual([
      [10_000, 1, 'failure'],
      [11_000, 2, 'failure'],
      [13_000, 3, 'success'],
    ]);
    // The driver's error names the server; the password never reaches events or logs.
    expect(s.eventsOf('heal_attempt').find((e) => e.attempt === 1)!.message).toBe(
      'connect ECONNREFUSED postgres://app:***@db:5432/orders',
    );
    expect(db).toMatchObject({ connected: true, connects: 4 });
    expect(s.statusChanges('database')).toEqual([
      [0, UNKNOWN, HEALTHY],
      [10_000, HEALTHY, UNHEALTHY],
      [13_000, UNHEALTHY, HEALTHY],
    ]);
    expect(s.aggregateChanges('readiness').filter(([at]) => at > 0)).toEqual([
      [10_000, HEALTHY, UNHEALTHY],
      [13_000, UNHEALTHY, HEALTHY],
    ]);
    expect(s.registry.get('database')).toMatchObject({ status: HEALTHY, heal: { state: HealState.IDLE, attempts: 3, lastResult: 'success' } });
  });
});
