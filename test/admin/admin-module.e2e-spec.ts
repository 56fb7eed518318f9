import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import request from 'supertest';
import { ResilienceAdminModule } from '../../libs/resilience/src/admin/admin.module.js';
import { OperatorService } from '../../libs/resilience/src/admin/operator.service.js';
import { InvalidOptionError } from '../../libs/resilience/src/common/invalid-option.error.js';
import { type AdminApp, bearer, startAdminApp, TOKEN } from './support/admin-app.js';

@Injectable()
class Settings {
  readonly adminToken = TOKEN;
}

@Module({ providers: [Settings], exports: [Settings] })
class SettingsModule {}

describe('ResilienceAdminModule options', () => {
  let served: AdminApp | undefined;
  afterEach(async () => {
    await served?.close();
    served = undefined;
  });

  it('is off by default: no route is mounted and nothing of the module runs', async () => {
    served = await startAdminApp({ adminModule: ResilienceAdminModule.forRoot({ token: TOKEN }), breakers: { db: {} } });
    const response = await request(served.app.getHttpServer()).get('/resilience/breakers').set(bearer());
    expect(response.status).toBe(404);
    expect(response.body.code).toBeUndefined();
    expect(() => served!.app.get(OperatorService)).toThrow(/OperatorService/);
  });

  it('does not read the options while off (a missing token is fine then)', async () => {
    served = await startAdminApp({ adminModule: ResilienceAdminModule.forRoot() });
    expect((await request(served.app.getHttpServer()).get('/resilience')).status).toBe(404);
  });

  it('mounts under a configured prefix, and not under the default one', async () => {
    served = await startAdminApp({ admin: { prefix: '/ops/resilience/' }, breakers: { db: {} } });
    const server = served.app.getHttpServer();
    expect((await request(server).get('/ops/resilience/breakers').set(bearer())).status).toBe(200);
    expect((await request(server).get('/resilience/breakers').set(bearer())).status).toBe(404);
    expect((await request(server).get('/ops/resilience').set(bearer())).body.prefix).toBe('/ops/resilience');
  });

  it('takes its options from a factory with forRootAsync; enabled and prefix go next to it', async () => {
    const adminModule = ResilienceAdminModule.forRootAsync({
      enabled: true,
      prefix: 'admin',
      imports: [SettingsModule],
      inject: [Settings],
      useFactory: (settings: Settings) => ({ tokens: [{ token: settings.adminToken, label: 'from-factory' }] }),
    });
    served = await startAdminApp({ adminModule, breakers: { db: {} } });
    const response = await request(served.app.getHttpServer()).post('/admin/breakers/db/force-open').set(bearer()).send({ reason: 'async' });
    expect(response.status).toBe(200);
    expect(response.body.event.actor).toBe('from-factory');
  });

  it('refuses enabled or prefix from the factory, naming the option', async () => {
    const adminModule = ResilienceAdminModule.forRootAsync({
      enabled: true,
      useFactory: () => ({ token: TOKEN, prefix: '/other' }) as never,
    });
    await expect(startAdminApp({ adminModule })).rejects.toThrow(
      'ResilienceAdminModule: option "prefix" is fixed when the module is defined: pass it to forRoot, or next to useFactory in forRootAsync, got "/other"',
    );
  });

  it.each([
    [{}, 'token', 'is required when the admin API is mounted'],
    [{ token: 'short' }, 'token', 'must be at least 16 characters without whitespace, got "<5 characters, hidden>"'],
    [{ token: 'has a space in it 1234567' }, 'token', 'must be at least 16 characters without whitespace, got "<25 characters, hidden>"'],
    [{ token: 42 }, 'token', 'must be a string, got 42'],
    [{ tokens: [{ token: TOKEN }, { token: TOKEN }] }, 'tokens[1].token', 'must not repeat another token'],
    [{ tokens: [{ token: TOKEN, label: 'has space' }] }, 'tokens[0].label', 'must be 1 to 64 letters, digits or ._@:-, got "has space"'],
    [{ tokens: 'x' }, 'tokens', 'must be an array'],
    [{ token: TOKEN, eventBufferSize: 0 }, 'eventBufferSize', 'must be an integer from 1 to 1000000, got 0'],
    [{ token: TOKEN, streamQueueSize: 1.5 }, 'streamQueueSize', 'must be an integer from 1 to 1000000, got 1.5'],
    [{ token: TOKEN, heartbeatMs: -1 }, 'heartbeatMs', 'must be an integer from 1 to 2147483647, got -1'],
    [{ token: TOKEN, publicReads: 'yes' }, 'publicReads', 'must be a boolean, got "yes"'],
    [{ token: TOKEN, dashboard: 1 }, 'dashboard', 'must be a boolean, got 1'],
    [{ token: TOKEN, clock: {} }, 'clock', 'must implement now(), setTimeout() and clearTimeout()'],
    [{ token: TOKEN, retention: 5 }, 'retention', 'is not an option'],
  ])('fails at bootstrap for %j, naming %s and the value (never a token)', async (options, option, expected) => {
    const adminModule = ResilienceAdminModule.forRoot({ enabled: true, ...(options as object) });
    const failure = await startAdminApp({ adminModule }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(InvalidOptionError);
    expect((failure as InvalidOptionError).message).toContain(`ResilienceAdminModule: option "${option}" ${expected}`);
    expect((failure as InvalidOptionError).message).not.toContain(TOKEN);
  });

  it.each([
    [{ prefix: '' }, 'prefix', 'must be a non-empty URL path of literal segments'],
    [{ prefix: '/a/:name' }, 'prefix', 'must be a non-empty URL path of literal segments'],
    [{ prefix: '/a b' }, 'prefix', 'must be a non-empty URL path of literal segments'],
    [{ enabled: 'true' }, 'enabled', 'must be a boolean'],
  ])('throws when the module is defined for a bad mount %j', (mount, option, expected) => {
    expect(() => ResilienceAdminModule.forRoot({ token: TOKEN, ...(mount as object) })).toThrow(`ResilienceAdminModule: option "${option}" ${expected}`);
    expect(() => ResilienceAdminModule.forRootAsync({ ...(mount as object), useFactory: () => ({ token: TOKEN }) })).toThrow(InvalidOptionError);
  });

  it('uses the ResilienceModule clock for event times unless given its own', async () => {
    served = await startAdminApp({ breakers: { db: {} } });
    served.clock.advance(1_234);
    const response = await request(served.app.getHttpServer()).post('/resilience/breakers/db/force-open').set(bearer()).send({ reason: 'clock' });
    expect(response.body.event.at).toBe(served.clock.now());
  });

  it('lets a provider act through OperatorService.apply, audited like the routes', async () => {
    served = await startAdminApp({ breakers: { db: {} } });
    const operator = served.app.get(OperatorService);
    const event = await operator.apply({ breaker: 'db', action: 'force-open', reason: 'from code', actor: 'deploy-bot' });
    expect(event).toMatchObject({ type: 'operator.action', actor: 'deploy-bot', from: 'CLOSED', to: 'FORCED_OPEN' });
    const history = await request(served.app.getHttpServer()).get('/resilience/events').set(bearer());
    expect(history.body.events.at(-1)).toEqual(event);
  });
});
