/**
 * `npm run demo -- --once` with the default scenario (llm-degradation), end to end: the demo runs as a
 * child process (the built script `npm run demo` runs after its build) while Debian's Chromium watches
 * the viewer it started: the calls appear in the list, a conversation's waterfall shows its turns with
 * their segments, the monitor's incident appears and then resolves. Then the terminal: exit 0, the
 * internal update and resolution templates, and the summary with the incident opened and resolved.
 * Saves the screenshots the README shows (docs/img/demo-waterfall.png, docs/img/demo.png).
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from '../packages/cli/test/helpers/browser.js';
import { type DemoRun, seconds, startDemo, summaryTable } from './helpers/demo.js';

const IMG = fileURLToPath(new URL('../docs/img/', import.meta.url));
const chromium = chromiumAvailable();

if (!chromium.ok) {
  if (process.env.CI === 'true') {
    it('needs Chromium under CI=true', () => {
      throw new Error(chromium.reason);
    });
  } else {
    console.warn(`\n*** SKIPPING the demo's browser test: ${chromium.reason} ***\n`);
  }
}

describe('npm run demo -- --once --duration 90 (scenario llm-degradation, the default)', () => {
  let demo: DemoRun;

  beforeAll(() => {
    // 90 s instead of the default 75 (the fault window scales with it): the incident resolves about 30 s
    // after the fault ends, and the browser looks around once it has, while the viewer is still up.
    demo = startDemo(['--duration', '90']);
  });

  afterAll(() => demo?.kill());

  it.skipIf(!chromium.ok)(
    'shows the calls, a waterfall of their turns, and the incident opening then resolving, in Chromium',
    async () => {
      const browser = await launchChromium();
      try {
        const page = await browser.context.newPage();
        const pageErrors: string[] = [];
        page.on('pageerror', (e) => pageErrors.push(e.message));
        page.on('console', (m) => {
          if (m.type() === 'error') pageErrors.push(m.text());
        });
        await page.goto(await demo.url);

        // The calls, live: LiveKit sessions named call-NNN, several at once.
        await page.waitForSelector('#conversation-rows tr[data-trace-id] >> nth=7', { timeout: 60_000 });
        const listed = await page.locator('#conversation-rows tr[data-trace-id]').allInnerTexts();
        expect(listed.every((r) => /\bcall-\d{3}\b/.test(r))).toBe(true);

        // The monitor's incident, published by the demo, while the LLM is degraded.
        const open = page.locator('#incidents .incident[data-status=open]');
        await open.waitFor({ timeout: 90_000 });
        const incidentId = (await open.getAttribute('data-id'))!;
        expect(incidentId).toMatch(/^inc-/);
        expect(await open.innerText()).toMatch(/SEV-[23]\s+inc-\S+\s+(identified|investigating)/);

        // The degradation ends; the same incident resolves.
        await page.waitForSelector(`#incidents .incident[data-id="${incidentId}"][data-status=resolved]`, {
          timeout: 90_000,
        });
        expect(await page.locator('#incident-count').textContent()).toBe('all resolved');
        expect(await page.locator('#severity rect.incident-bar.resolved').count()).toBeGreaterThanOrEqual(1);

        // The slowest finished call: its waterfall has the turns with their segments, the LLM the bottleneck.
        const slowest = await slowestCompletedCall(page);
        await page.locator('#conversation-rows tr', { hasText: slowest }).click();
        await page.waitForSelector('#waterfall .turn >> nth=2');
        const kinds = await page
          .locator('#waterfall .turn')
          .evaluateAll((rows) =>
            rows.map((r) => Array.from(r.querySelectorAll('.seg')).map((s) => s.getAttribute('data-kind'))),
          );
        // The greeting is the agent's turn; each caller's turn has its whole pipeline.
        const callerTurns = kinds.filter((k) => k.includes('user_speech'));
        expect(callerTurns.length).toBeGreaterThanOrEqual(2);
        for (const k of callerTurns)
          expect(k).toEqual(
            expect.arrayContaining([
              'user_speech',
              'stt',
              'turn_detection',
              'llm_ttft',
              'tts_ttfb',
              'agent_speech',
            ]),
          );
        expect(kinds.flat()).toContain('tool');
        expect(
          await page
            .locator('#waterfall .seg.bottleneck')
            .evaluateAll((els) => els.map((e) => e.getAttribute('data-kind'))),
        ).toContain('llm_ttft');
        expect(await page.locator('#waterfall').innerText()).toMatch(/bottleneck: llm \d+%/);
        mkdirSync(IMG, { recursive: true });
        await page.locator('#waterfall-card').screenshot({ path: `${IMG}demo-waterfall.png` });
        await page.screenshot({ path: `${IMG}demo.png`, fullPage: true });
        expect(pageErrors).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    180_000,
  );

  it('exits 0, prints the incident as it opens and resolves, and the summary', async () => {
    const { code, stdout, stderr } = await demo.exit;
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^viewer: http:\/\/127\.0\.0\.1:\d+\//m);
    expect(stdout).toMatch(/monitor on a 30× compressed clock/);

    // The internal update template when the incident opens, the resolution template when it resolves.
    const opened =
      /━━ incident (inc-\S+) opened \((SEV-[123])\) at (\d:\d\d) .*internal update template ━━\n(.*)\n(.*)\n(.*)/.exec(
        stdout,
      );
    expect(opened).not.toBeNull();
    const [, id, severity, , headline, status, affected] = opened!;
    expect(headline).toMatch(new RegExp(`^\\[${severity}\\] .* — Update #1$`));
    expect(status).toMatch(/^Status: (IDENTIFIED|INVESTIGATING)$/);
    expect(affected).toMatch(/^Affected: LLM → callers wait \d+\.\d s at P90/);
    expect(stdout).toContain(`━━ incident ${id} resolved at`);
    expect(stdout).toMatch(/resolution template ━━\nSubject: \[RESOLVED\] .*LLM\n/);
    expect(stdout.indexOf(`incident ${id} resolved`)).toBeGreaterThan(
      stdout.indexOf(`incident ${id} opened`),
    );

    // The summary: the degraded phase is slow at P90, the phases around it are not; one incident, resolved.
    const rows = summaryTable(stdout);
    const phase = (name: string) => rows.find((r) => r[0] === name)!;
    expect(rows[0]).toEqual(['phase', 'from', 'turns', 'P50', 'P90', 'P95', 'P99', 'bottlenecks', 'errors']);
    for (const name of ['before', 'LLM degraded', 'after', 'whole run']) {
      expect(phase(name), name).toBeDefined();
      expect(Number(phase(name)[2]), name).toBeGreaterThanOrEqual(5);
    }
    expect(seconds(phase('before')[4])).toBeLessThan(3.5);
    expect(seconds(phase('LLM degraded')[4])).toBeGreaterThan(5);
    expect(phase('LLM degraded')[7]).toMatch(/^llm \d+/);
    expect(seconds(phase('after')[4])).toBeLessThan(3.5);
    const incidents = rows.filter((r) => /^SEV-[123]$/.test(r[0]!));
    expect(incidents).toHaveLength(1);
    const [peak, incidentId, layer, openedAt, resolvedAt] = incidents[0]!;
    expect([peak, incidentId, layer]).toEqual([expect.stringMatching(/^SEV-[23]$/), id, 'llm']);
    expect(resolvedAt).toMatch(/^\d:\d\d$/);
    expect(resolvedAt! > openedAt!).toBe(true);
    expect(stdout).not.toMatch(/unhandled rejection/);
  }, 180_000);
});

/** The id of the finished call whose worst turn was the slowest, with the LLM as its bottleneck. */
async function slowestCompletedCall(page: Page): Promise<string> {
  let slowest = { id: '', s: -1 };
  for (const row of await page.locator('#conversation-rows tr[data-trace-id]').allInnerTexts()) {
    const m = /\b(call-\d{3})\b.*?(\d+\.\d\d) s \(#\d+, llm\).*completed/s.exec(row);
    if (m && Number(m[2]) > slowest.s) slowest = { id: m[1]!, s: Number(m[2]) };
  }
  return slowest.id;
}
