import { afterEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { DASHBOARD_CSP } from '../../libs/resilience/src/admin/dashboard/dashboard.page.js';
import { type AdminApp, bearer, startAdminApp, WRONG_TOKEN } from './support/admin-app.js';

// The page over HTTP; what it does in a browser is test/browser/dashboard.e2e-spec.ts.
describe('GET {prefix}/dashboard', () => {
  let served: AdminApp | undefined;
  afterEach(async () => {
    await served?.close();
    served = undefined;
  });

  it('serves the page without a token (it holds no data), with its CSP and hardening headers', async () => {
    served = await startAdminApp({ breakers: { payments: {} } });
    const response = await request(served.app.getHttpServer()).get('/resilience/dashboard');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['content-security-policy']).toBe(DASHBOARD_CSP);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    expect(response.text).toMatch(/^<!doctype html>/);
    // No data in the page: not even the breakers' names.
    expect(response.text).not.toContain('payments');
    // A wrong token changes nothing: the page is the same for everyone.
    expect((await request(served.app.getHttpServer()).get('/resilience/dashboard').set(bearer(WRONG_TOKEN))).status).toBe(200);
    // …while the data stays behind the token.
    expect((await request(served.app.getHttpServer()).get('/resilience/breakers')).status).toBe(401);
  });

  it('is served under the configured prefix, telling the page whether reads are public', async () => {
    served = await startAdminApp({ admin: { prefix: '/ops', publicReads: true, maxReasonLength: 80 } });
    const response = await request(served.app.getHttpServer()).get('/ops/dashboard');
    expect(response.status).toBe(200);
    expect(response.text).toContain('<meta name="engined-public-reads" content="true">');
    expect(response.text).toContain('maxlength="80"');
  });

  it('answers 404 NO_DASHBOARD when turned off, the API staying up', async () => {
    served = await startAdminApp({ admin: { dashboard: false } });
    const response = await request(served.app.getHttpServer()).get('/resilience/dashboard');
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ code: 'NO_DASHBOARD', message: 'The dashboard is turned off (dashboard: false)' });
    expect((await request(served.app.getHttpServer()).get('/resilience/breakers').set(bearer())).status).toBe(200);
  });
});
