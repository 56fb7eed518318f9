import { describe, expect, it } from '@jest/globals';
import { CircuitBreaker, bindBreakerCall, getCircuitBreakerMetadata, getOriginalMethod } from './circuit-breaker.decorator.js';

class Client {
  constructor(private readonly base: number) {}

  @CircuitBreaker('shared')
  add(n: number): number {
    return this.base + n;
  }

  @CircuitBreaker({ profile: 'db', timeoutMs: 10 })
  async fetch(id: string, _opts?: object): Promise<string> {
    return `r${id}`;
  }

  plain(): string {
    return 'plain';
  }
}

describe('@CircuitBreaker()', () => {
  it('records the name or the options on the method', () => {
    expect(getCircuitBreakerMetadata(Client.prototype.add)).toEqual({ name: 'shared' });
    expect(getCircuitBreakerMetadata(Client.prototype.fetch)).toEqual({ profile: 'db', timeoutMs: 10 });
    expect(getCircuitBreakerMetadata(Client.prototype.plain)).toBeUndefined();
  });

  it('leaves behaviour, name and arity unchanged until an instance is bound', async () => {
    const client = new Client(40);
    expect(client.add(2)).toBe(42);
    await expect(client.fetch('1')).resolves.toBe('r1');
    expect(Client.prototype.fetch.name).toBe('fetch');
    expect(Client.prototype.fetch.length).toBe(2);
  });

  it('routes calls of a bound instance to its guarded call, and only that instance', () => {
    const bound = new Client(1);
    const other = new Client(1);
    const seen: unknown[][] = [];
    const call = (instance: object, args: unknown[]) => {
      seen.push([instance, ...args]);
      return getOriginalMethod(Client.prototype.add)!.apply(instance, args);
    };
    expect(bindBreakerCall(bound, Client.prototype.add, call)).toBe(true);
    expect(bindBreakerCall(bound, Client.prototype.add, call)).toBe(false);
    expect(bound.add(1)).toBe(2);
    expect(other.add(1)).toBe(2);
    expect(seen).toEqual([[bound, 1]]);
  });
});
