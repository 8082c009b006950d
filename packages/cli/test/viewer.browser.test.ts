/**
 * The viewer in a real browser (Debian's Chromium through playwright-core): calls recorded through
 * voxtrace and exported over OTLP show in the list, live; a conversation's waterfall shows its turns
 * with their segments and the bottleneck; an incident published with connectToDevViewer appears and
 * resolves. Saves the waterfall screenshot the docs show (docs/img/waterfall.png).
 */
import { mkdirSync } from 'node:fs';
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
    expect(await card.innerText()).toMatch(/turn latency P90: 7\.90 s > 7\.00 s \(SEV-2\)/);
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
