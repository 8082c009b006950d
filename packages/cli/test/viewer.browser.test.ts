/**
 * The viewer in a real browser (Debian's Chromium through playwright-core): calls recorded through
 * voxtrace and exported over OTLP show in the list, live; a conversation's waterfall shows its turns
 * with their segments and the bottleneck; an incident published with connectToDevViewer appears and
 * resolves. Saves the waterfall screenshot the docs show (docs/img/waterfall.png).
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectToDevViewer, type DevServer, type DevViewerSource, startDevServer } from '@voxtrace/cli';
import { createVoxtrace, type Voxtrace } from '@voxtrace/core';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from './helpers/browser.js';
import { healthyTurn, recordCall } from './helpers/calls.js';

const SCREENSHOT = fileURLToPath(new URL('../../../docs/img/waterfall.png', import.meta.url));
// Fixed times (2025-11-21 09:00 UTC) and a UTC browser: the screenshot is the same on every run.
const T0 = Date.UTC(2025, 10, 21, 9, 0, 0);
const chromium = chromiumAvailable();

if (!chromium.ok) {
  if (process.env.CI === 'true') {
    it('needs Chromium under CI=true', () => {
      throw new Error(chromium.reason);
    });
  } else {
    console.warn(`\n*** SKIPPING the dev viewer browser test: ${chromium.reason} ***\n`);
  }
}

/** The monitor's side, as connectToDevViewer sees it. */
class Monitor implements DevViewerSource {
  private readonly listeners = new Set<(i: unknown) => void>();
  severity: string | null = null;
  clock = T0;
  readonly monitor = {
    snapshot: () => ({
      at: this.clock,
      severity: this.severity,
      latency: { count: 20, p50: 1100, p90: this.severity ? 7900 : 1400, p95: null, p99: null },
    }),
  };
  on(_event: 'incident', listener: (i: unknown) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(incident: unknown): void {
    for (const l of this.listeners) l(incident);
  }
}

describe.skipIf(!chromium.ok)('the dev viewer in Chromium', () => {
  let server: DevServer;
  let vt: Voxtrace;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  const pageErrors: string[] = [];
  const text = (selector: string) => page.locator(selector).innerText();

  beforeAll(async () => {
    server = await startDevServer({ port: 0 });
    vt = createVoxtrace({
      serviceName: 'booking-agent',
      otlp: { url: server.otlpUrl },
      batch: { scheduledDelayMillis: 50 },
    });
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
  });

  afterAll(async () => {
    await vt?.shutdown();
    await browser?.close();
    await server?.close();
  });

  it('lists the conversations newest first, live ones included, and updates live', async () => {
    recordCall(vt, { id: 'call-healthy-1', startedAt: T0, turns: [0, 1, 2].map((i) => healthyTurn(i)) });
    recordCall(vt, {
      id: 'call-slow-llm',
      platform: 'livekit',
      startedAt: T0 + 40_000,
      turns: [
        healthyTurn(0),
        healthyTurn(1, { tool: { name: 'find_booking', ms: 420 } }),
        healthyTurn(2, { ttftMs: 3100, generationMs: 1800 }),
        healthyTurn(3),
        healthyTurn(4, { ttftMs: 1900, llmError: 'rate limited, retried' }),
      ],
    });
    const live = recordCall(vt, {
      id: 'call-live',
      platform: 'pipecat',
      startedAt: T0 + 90_000,
      turns: [0, 1, 2, 3].map((i) => healthyTurn(i)),
      end: false,
    });
    await vt.forceFlush();

    await page.goto(server.url);
    await page.waitForSelector('#conversation-rows tr[data-trace-id] >> nth=2');
    const rows = page.locator('#conversation-rows tr[data-trace-id]');
    expect(await rows.allInnerTexts()).toEqual([
      expect.stringMatching(/call-live.*\blive$/s),
      expect.stringMatching(/call-slow-llm\s+livekit\s+5\s+3\.\d\d s \(#3, llm\)\s+completed/s),
      expect.stringMatching(/call-healthy-1\s+livekit\s+3\s+\d+ ms \(#\d\)\s+completed/s),
    ]);

    // The call ends: the page follows without a reload.
    live.conv.end({ outcome: 'transferred', endedAt: live.endAt });
    await vt.forceFlush();
    await page.waitForFunction(() =>
      document.querySelector('#conversation-rows tr')?.textContent?.includes('transferred'),
    );
    expect(await rows.first().innerText()).toMatch(/call-live\s+pipecat\s+4\s+.*transferred/s);
  });

  it('shows a conversation turn waterfall with segments and the bottleneck', async () => {
    await page.locator('#conversation-rows tr', { hasText: 'call-slow-llm' }).click();
    await page.waitForSelector('#waterfall .turn >> nth=4');
    const turns = page.locator('#waterfall .turn');
    expect(await turns.count()).toBe(5);
    for (let i = 0; i < 5; i++) {
      const kinds = await turns
        .nth(i)
        .locator('.seg')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
      expect(kinds).toEqual(
        expect.arrayContaining([
          'user_speech',
          'stt',
          'turn_detection',
          'llm_ttft',
          'llm_generation',
          'tts_ttfb',
          'agent_speech',
        ]),
      );
    }
    expect(await turns.nth(1).locator('.seg[data-kind=tool]').count()).toBe(1);
    const slow = turns.nth(2);
    expect(await slow.innerText()).toMatch(/#3 user 3\.\d\d s\s+bottleneck: llm \d+%/);
    expect(
      await slow.locator('.seg.bottleneck').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind'))),
    ).toEqual(['llm_ttft']);
    expect(await turns.nth(0).locator('.seg.bottleneck').count()).toBe(0);
    expect(await turns.nth(4).locator('.seg.error').count()).toBeGreaterThan(0);
    expect(await text('#waterfall .wf-meta')).toMatch(/completed livekit · 5 turns/);

    // Turn latency percentiles with the seed's threshold lines, and component P90s.
    expect(await page.locator('#latency-chart path[data-series=p90]').count()).toBe(1);
    expect(await page.locator('#latency-chart line[data-threshold="p90:3500"]').count()).toBe(1);
    expect(await page.locator('#latency-chart line[data-threshold="p90:5000"]').count()).toBe(1);
    expect(await text('#components tr[data-component=llmTtft]')).toMatch(/LLM TTFT\s+\d\.\d\d s\s+< 400 ms/);

    mkdirSync(fileURLToPath(new URL('.', `file://${SCREENSHOT}`)), { recursive: true });
    await page.locator('#waterfall-card').screenshot({ path: SCREENSHOT });
  });

  it('shows an incident from connectToDevViewer, then its resolution, on the severity timeline', async () => {
    const monitor = new Monitor();
    const conn = connectToDevViewer(monitor, server.endpoint, {
      snapshotIntervalMs: 0,
      source: 'booking-agent',
    });
    const incident = {
      id: 'inc-llm-1',
      severity: 'SEV-2',
      status: 'identified',
      openedAt: T0 + 60_000,
      updatedAt: T0 + 60_000,
      resolvedAt: null,
      layer: 'llm',
      triggers: [
        {
          rule: 'p90-latency',
          label: 'turn latency P90',
          unit: 'ms',
          value: 7900,
          comparator: '>',
          threshold: 7000,
          severity: 'SEV-2',
          firing: true,
        },
      ],
      timeline: [{ at: T0 + 60_000, event: 'opened', message: 'SEV-2: turn latency P90 7.9 s > 7 s (LLM)' }],
    };
    monitor.clock = T0 + 30_000;
    conn.sendSnapshot(); // before: no incident
    await conn.flush();
    monitor.severity = 'SEV-2';
    monitor.clock = T0 + 60_000;
    monitor.emit(incident);
    conn.sendSnapshot();
    await conn.flush();
    const card = page.locator('#incidents .incident[data-id="inc-llm-1"]');
    await card.waitFor();
    expect(await card.getAttribute('data-status')).toBe('open');
    expect(await card.innerText()).toMatch(/SEV-2\s+inc-llm-1\s+identified\s+layer: llm/);
    expect(await card.innerText()).toMatch(/turn latency P90 7\.90 s > 7\.00 s \(SEV-2\)/);
    expect(await page.locator('#incident-count').textContent()).toBe('1 open');

    monitor.severity = null;
    monitor.clock = T0 + 150_000;
    monitor.emit({ ...incident, status: 'resolved', updatedAt: T0 + 150_000, resolvedAt: T0 + 150_000 });
    conn.sendSnapshot();
    await conn.flush();
    await page.waitForSelector('#incidents .incident[data-id="inc-llm-1"][data-status=resolved]');
    expect(await card.innerText()).toMatch(/opened 09:01:00 · resolved 09:02:30 after 1 min 30 s/);
    expect(await page.locator('#incident-count').textContent()).toBe('all resolved');
    const lanes = await page
      .locator('#severity rect.sev')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-severity')));
    expect(lanes).toEqual(['ok', 'SEV-2', 'ok']);
    expect(await page.locator('#severity rect.incident-bar.resolved').count()).toBe(1);
    conn.close();
    expect(conn.stats()).toMatchObject({ failed: 0 });
    expect(pageErrors).toEqual([]);
  });
});

/** A box as Playwright measures it. */
type Box = { x: number; y: number; width: number; height: number };
const overlaps = (a: Box, b: Box) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
const inside = (inner: Box, outer: Box, slack = 0.5) =>
  inner.x >= outer.x - slack &&
  inner.y >= outer.y - slack &&
  inner.x + inner.width <= outer.x + outer.width + slack &&
  inner.y + inner.height <= outer.y + outer.height + slack;

describe.skipIf(!chromium.ok)(
  'the dev viewer after an incident that peaked and a call from a past day',
  () => {
    // Screenshots for a person to look at (the assertions below check the same layout by geometry).
    const SHOTS = `${mkdtempSync(join(tmpdir(), 'voxtrace-viewer-'))}/`;
    let server: DevServer;
    let vt: Voxtrace;
    let browser: Awaited<ReturnType<typeof launchChromium>>;
    let page: Page;
    const pageErrors: string[] = [];

    beforeAll(async () => {
      server = await startDevServer({ port: 0 });
      vt = createVoxtrace({ otlp: { url: server.otlpUrl }, batch: { scheduledDelayMillis: 50 } });
      browser = await launchChromium();
      page = await browser.context.newPage();
      page.on('pageerror', (e) => pageErrors.push(e.message));

      // A call replayed from the day before, then 24 calls of today, a minute apart.
      recordCall(vt, { id: 'call-yesterday', startedAt: T0 - 26 * 3600_000, turns: [healthyTurn(0)] });
      for (let i = 0; i < 24; i++)
        recordCall(vt, {
          id: `call-${String(i).padStart(3, '0')}`,
          startedAt: T0 + i * 30_000,
          turns: [0, 1, 2].map((k) => healthyTurn(k, i >= 8 && i < 14 ? { ttftMs: 5200 } : {})),
        });
      await vt.forceFlush();

      // The monitor's incident: opened at SEV-3, raised to SEV-2, back to SEV-3, resolved.
      const ms = (rule: string, metric: string, label: string, t: Record<string, unknown>) => ({
        rule,
        metric,
        label,
        unit: 'ms',
        comparator: '>',
        firing: false,
        layer: 'llm',
        value: 871,
        ...t,
      });
      const incident = {
        id: 'inc-20251121T090400Z-ee621a1e',
        severity: 'SEV-3',
        peakSeverity: 'SEV-2',
        status: 'resolved',
        openedAt: T0 + 240_000,
        updatedAt: T0 + 600_000,
        resolvedAt: T0 + 600_000,
        layer: 'llm',
        triggers: [
          ms('e2e.p90.warning', 'e2eLatencyP90Ms', 'turn latency P90', {
            severity: 'SEV-3',
            threshold: 3500,
            worstValue: 5600,
          }),
          ms('quality.e2eLatencyP90Ms.warning', 'e2eLatencyP90Ms', 'turn latency P90', {
            severity: 'SEV-3',
            threshold: 3500,
            worstValue: 5600,
          }),
          ms('AgentHighLatency', 'e2eLatencyP95Ms', 'turn latency P95', {
            severity: 'SEV-2',
            threshold: 5000,
            worstValue: 5900,
            value: 990,
          }),
          ms('component.llmTtft.warning', 'llmTtftP90Ms', 'LLM time to first token P90', {
            severity: 'SEV-3',
            threshold: 400,
            worstValue: 5200,
            value: 279,
          }),
          ms('component.llmTtft.critical', 'llmTtftP90Ms', 'LLM time to first token P90', {
            severity: 'SEV-3',
            threshold: 800,
            worstValue: 5200,
            value: 279,
          }),
        ],
        timeline: [
          { at: T0 + 240_000, event: 'opened', message: 'SEV-3 opened (layer llm): e2e.p90.warning' },
          { at: T0 + 300_000, event: 'severity_changed', message: 'Severity SEV-3 → SEV-2' },
          { at: T0 + 420_000, event: 'severity_changed', message: 'Severity SEV-2 → SEV-3' },
          { at: T0 + 600_000, event: 'resolved', message: 'Resolved after 300 s clear' },
        ],
      };
      const post = (path: string, body: unknown) =>
        fetch(`${server.endpoint}${path}?source=booking-agent-eu-west-1:48213`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      for (let t = 0; t <= 720_000; t += 20_000) {
        const severity = t < 240_000 || t >= 600_000 ? null : t < 300_000 || t >= 420_000 ? 'SEV-3' : 'SEV-2';
        await post('/api/monitor', { at: T0 + t, severity, latency: { p90: severity ? 5600 : 1200 } });
      }
      await post('/api/incidents', incident);

      await page.goto(server.url);
      await page.waitForSelector('#incidents .incident[data-status=resolved]');
      await page.waitForSelector('#conversation-rows tr[data-trace-id] >> nth=19');
    });

    afterAll(async () => {
      await vt?.shutdown();
      await browser?.close();
      await server?.close();
    });

    it('shows the worst severity the resolved incident reached, and findings that read true', async () => {
      const card = page.locator('#incidents .incident').first();
      await card.screenshot({ path: `${SHOTS}incident-card.png` });
      expect(await card.locator('.sev-badge').innerText()).toBe('SEV-2');
      const findings = await card.locator('ul.triggers li').allInnerTexts();
      expect(findings).toEqual([
        'turn latency P95 peaked at 5.90 s (> 5.00 s, SEV-2); now 990 ms, cleared',
        'turn latency P90 peaked at 5.60 s (> 3.50 s, SEV-3); now 871 ms, cleared',
        'LLM time to first token P90 peaked at 5.20 s (> 800 ms, SEV-3); now 279 ms, cleared',
      ]);
      // Every line of the card stays inside it (nothing clipped or spilling over).
      const box = (await card.boundingBox())!;
      for (const el of await card.locator('header, div, li').all()) {
        const b = (await el.boundingBox())!;
        expect(inside(b, box), await el.innerText()).toBe(true);
        expect(await el.evaluate((e) => e.scrollWidth <= e.clientWidth + 1)).toBe(true);
      }
    });

    it('keeps the severity lane labels whole, beside their lanes', async () => {
      await page.locator('#severity').screenshot({ path: `${SHOTS}severity.png` });
      const svg = (await page.locator('#severity svg').boundingBox())!;
      const labels = page.locator('#severity text.lane-label');
      // Their own text, without the <title> tooltip that names them in full.
      expect(await labels.evaluateAll((els) => els.map((e) => e.firstChild?.textContent))).toEqual([
        'booking-agent-…',
        'SEV-2 09:04:00',
      ]);
      const firstBar = (await page.locator('#severity rect').first().boundingBox())!;
      for (const label of await labels.all()) {
        const b = (await label.boundingBox())!;
        expect(inside(b, svg)).toBe(true);
        expect(b.x + b.width).toBeLessThanOrEqual(firstBar.x);
      }
    });

    it('never lets threshold labels overlap, and keeps them in the chart', async () => {
      await page.locator('#latency-chart').screenshot({ path: `${SHOTS}latency.png` });
      const svg = (await page.locator('#latency-chart svg').boundingBox())!;
      const labels = await page.locator('#latency-chart text.threshold-label').all();
      const boxes = await Promise.all(labels.map(async (l) => (await l.boundingBox())!));
      // The P95 target and the P90 critical line are both 5 s: one label names both.
      expect(
        await page
          .locator('#latency-chart text.threshold-label')
          .evaluateAll((els) => els.map((e) => e.textContent)),
      ).toEqual(['P50 target 1.50 s', 'P90 target 3.50 s', 'P90 critical = P95 target 5.00 s']);
      for (const [i, a] of boxes.entries()) {
        expect(inside(a, svg)).toBe(true);
        for (const b of boxes.slice(i + 1)) expect(overlaps(a, b)).toBe(false);
      }
    });

    it("charts today's stretch only, and dates the call from the day before in the list", async () => {
      const ticks = await page
        .locator('#latency-chart text.axis-label')
        .evaluateAll((els) => els.map((e) => e.textContent ?? '').filter((t) => t.includes(':')));
      expect(ticks.length).toBeGreaterThanOrEqual(3);
      for (const t of ticks) expect(t >= '09:00:00' && t <= '09:15:00', t).toBe(true);

      const rows = page.locator('#conversation-rows tr[data-trace-id]');
      expect(await page.locator('#conversation-count').innerText()).toBe('25');
      expect(await rows.count()).toBe(20);
      const toggle = page.locator('#list-toggle');
      expect(await toggle.innerText()).toBe('Show all 25 (5 more)');
      await toggle.click();
      await page.waitForSelector('#conversation-rows tr[data-trace-id] >> nth=24');
      expect(await rows.count()).toBe(25);
      expect(await rows.last().innerText()).toMatch(/^20 Nov 07:00:00\s+call-yesterday/);
      expect(await rows.first().innerText()).toMatch(/^09:11:30\s+call-023/);
      expect(await page.locator('#list-toggle').innerText()).toBe('Show the newest 20');
      expect(pageErrors).toEqual([]);
    });
  },
);
