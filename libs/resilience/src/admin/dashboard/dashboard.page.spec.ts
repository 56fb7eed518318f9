import { createHash } from 'node:crypto';
import { Script } from 'node:vm';
import { describe, expect, it } from '@jest/globals';
import { DASHBOARD_CSP, renderDashboardPage } from './dashboard.page.js';

const page = renderDashboardPage({ publicReads: false, maxReasonLength: 321 });

function hashOf(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** The bodies of every `<tag>…</tag>` of the page. */
function bodiesOf(tag: string): string[] {
  return Array.from(page.matchAll(new RegExp(`<${tag}[^>]*>([\\s\\S]*?)</${tag}>`, 'g')), (match) => match[1]!);
}

function directive(name: string): string {
  return DASHBOARD_CSP.split('; ').find((part) => part.startsWith(`${name} `)) ?? '';
}

describe('the dashboard page', () => {
  it('has one inline script and one inline stylesheet, each allowed by its hash and nothing else', () => {
    const scripts = bodiesOf('script');
    const styles = bodiesOf('style');
    expect(scripts).toHaveLength(1);
    expect(styles).toHaveLength(1);
    expect(directive('script-src')).toBe(`script-src ${hashOf(scripts[0]!)}`);
    expect(directive('style-src')).toBe(`style-src ${hashOf(styles[0]!)}`);
    expect(DASHBOARD_CSP).toContain("default-src 'none'");
    expect(DASHBOARD_CSP).toContain("connect-src 'self'");
    expect(DASHBOARD_CSP).toContain("frame-ancestors 'none'");
  });

  it('has a script that compiles', () => {
    expect(() => new Script(bodiesOf('script')[0]!, { filename: 'dashboard.js' })).not.toThrow();
  });

  it('needs nothing a strict CSP would block, and nothing from another host', () => {
    // Inline handlers and style attributes are refused by the CSP (no 'unsafe-inline', no 'unsafe-hashes').
    expect(page).not.toMatch(/\son[a-z]+\s*=/i);
    expect(page).not.toMatch(/\sstyle\s*=/i);
    expect(page).not.toMatch(/\ssrc\s*=/i);
    expect(page).not.toMatch(/url\(|@import|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  it('never keeps the token anywhere but in memory', () => {
    const script = bodiesOf('script')[0]!;
    expect(script).not.toMatch(/localStorage|sessionStorage|document\.cookie|indexedDB/);
    expect(script).not.toContain('innerHTML');
  });

  it('tells the script whether reads are public, and the longest reason accepted', () => {
    expect(page).toContain('<meta name="engined-public-reads" content="false">');
    expect(page).toContain('maxlength="321"');
    expect(renderDashboardPage({ publicReads: true, maxReasonLength: 500 })).toContain('<meta name="engined-public-reads" content="true">');
  });
});
