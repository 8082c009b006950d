/**
 * Incidents and monitor snapshots published to the viewer: lenient validation with clear 400s,
 * upserts that survive crossed posts, bounded storage.
 */
import { type DevServer, IncidentBoard, startDevServer } from '@voxtrace/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const T0 = 1_763_700_000_000;
let server: DevServer;
beforeAll(async () => {
  server = await startDevServer({ port: 0 });
});
afterAll(() => server.close());

/** An incident shaped like the monitor's (with fields the viewer does not keep). */
function incident(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'inc-1',
    severity: 'SEV-2',
    peakSeverity: 'SEV-2',
    status: 'identified',
    openedAt: T0,
    updatedAt: T0,
    resolvedAt: null,
    layer: 'llm',
    triggers: [
      {
        rule: 'p90-latency',
        metric: 'e2eLatencyP90Ms',
        label: 'turn latency P90',
        unit: 'ms',
        severity: 'SEV-2',
        value: 5400,
        comparator: '>',
        threshold: 5000,
        firing: true,
        firingSince: T0,
        layer: 'llm',
      },
    ],
    timeline: [
      { at: T0, event: 'opened', message: 'SEV-2 opened: turn latency P90 5.4 s > 5 s', severity: 'SEV-2' },
    ],
    figures: { p90Ms: 5400, callsAffected: 3, baselineSource: 'target' },
    update: 1,
    ...overrides,
  };
}

const post = (path: string, body: unknown, source?: string) =>
  fetch(`${server.endpoint}${path}${source ? `?source=${source}` : ''}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const view = async () =>
  (await (await fetch(`${server.endpoint}/api/incidents`)).json()) as {
    incidents: Record<string, unknown>[];
    severity: { source: string; points: Record<string, unknown>[] }[];
  };

describe('POST /api/incidents', () => {
  it('accepts the monitor incident, then its resolution; an older update arriving late is ignored', async () => {
    expect((await post('/api/incidents', incident(), 'agent-a')).status).toBe(202);
    let held = (await view()).incidents.find((i) => i.id === 'inc-1')!;
    expect(held).toMatchObject({
      source: 'agent-a',
      severity: 'SEV-2',
      status: 'identified',
      resolved: false,
      layer: 'llm',
    });
    expect(held).not.toHaveProperty('update'); // unknown fields are dropped, not stored
    expect((held.triggers as object[])[0]).not.toHaveProperty('firingSince');

    await post(
      '/api/incidents',
      incident({ status: 'resolved', updatedAt: T0 + 60_000, resolvedAt: T0 + 60_000 }),
      'agent-a',
    );
    await post('/api/incidents', incident({ status: 'mitigating', updatedAt: T0 + 30_000 }), 'agent-a');
    held = (await view()).incidents.find((i) => i.id === 'inc-1')!;
    expect(held).toMatchObject({ status: 'resolved', resolved: true, resolvedAt: T0 + 60_000 });
  });

  it.each([
    ['an unknown severity', incident({ severity: 'SEV-9' }), 'severity'],
    ['no id', { ...incident(), id: undefined }, 'id'],
    ['a non-numeric openedAt', incident({ openedAt: 'yesterday' }), 'openedAt'],
  ])('answers 400 naming the field for %s', async (_, body, path) => {
    const res = await post('/api/incidents', body);
    expect(res.status).toBe(400);
    const answer = (await res.json()) as { error: string; issues: string[] };
    expect(answer.issues.some((i) => i.startsWith(`${path}:`))).toBe(true);
  });

  it('answers 400 for a body that is not JSON and 413 past 1 MiB', async () => {
    expect((await post('/api/incidents', '{"id":')).status).toBe(400);
    const big = incident({ timeline: [{ at: T0, message: 'x'.repeat(1024 * 1024) }] });
    expect((await post('/api/incidents', big)).status).toBe(413);
    expect((await fetch(`${server.endpoint}/api/health`)).status).toBe(200);
  });
});

describe('POST /api/monitor', () => {
  it('records severity over time per source, and the snapshot incident', async () => {
    for (const [i, severity] of [null, 'SEV-3', 'SEV-1'].entries()) {
      const res = await post(
        '/api/monitor',
        {
          at: T0 + i * 1000,
          enabled: true,
          severity,
          latency: { count: 10, p50: 900, p90: 4000 + i, p95: null, p99: null },
          rules: [{ huge: true }],
          incident: severity ? incident({ id: 'inc-snap', severity }) : null,
        },
        'agent-b',
      );
      expect(res.status).toBe(202);
    }
    const v = await view();
    const lane = v.severity.find((s) => s.source === 'agent-b')!;
    expect(lane.points.map((p) => p.severity ?? null)).toEqual([null, 'SEV-3', 'SEV-1']);
    expect(lane.points[2]).toEqual({
      at: T0 + 2000,
      severity: 'SEV-1',
      latency: { count: 10, p50: 900, p90: 4002, p95: null, p99: null },
    });
    expect(v.incidents.find((i) => i.id === 'inc-snap')).toMatchObject({
      source: 'agent-b',
      severity: 'SEV-1',
    });
  });

  it('keeps a snapshot whose incident is malformed, and refuses a snapshot without a time', async () => {
    expect(
      (await post('/api/monitor', { at: T0 + 5000, severity: 'SEV-2', incident: { id: 7 } }, 'agent-c'))
        .status,
    ).toBe(202);
    expect((await view()).severity.find((s) => s.source === 'agent-c')!.points).toHaveLength(1);
    const res = await post('/api/monitor', { severity: 'SEV-2' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { issues: string[] }).issues[0]).toMatch(/^at:/);
  });
});

describe('IncidentBoard bounds', () => {
  it('evicts resolved incidents first, keeps a ring of snapshots per source and a few sources', () => {
    const board = new IncidentBoard({ maxIncidents: 3, maxSnapshots: 5, maxSources: 2 });
    const base = { severity: 'SEV-3' as const, status: 'investigating' };
    board.upsert('s', { ...base, id: 'old-open', openedAt: T0 });
    board.upsert('s', { ...base, id: 'resolved', openedAt: T0 + 1, status: 'resolved', resolvedAt: T0 + 2 });
    board.upsert('s', { ...base, id: 'b', openedAt: T0 + 3 });
    board.upsert('s', { ...base, id: 'c', openedAt: T0 + 4 });
    expect(board.view().incidents.map((i) => i.id)).toEqual(['c', 'b', 'old-open']);
    for (let i = 0; i < 12; i++) board.snapshot('s', { at: T0 + i, severity: null });
    board.snapshot('t', { at: T0, severity: 'SEV-1' });
    board.snapshot('u', { at: T0, severity: 'SEV-2' });
    const lanes = board.view().severity;
    expect(lanes.map((l) => l.source)).toEqual(['t', 'u']);
    board.snapshot('s', { at: T0 + 99, severity: null });
    expect(board.view().severity.find((l) => l.source === 's')!.points).toHaveLength(1);
    for (let i = 0; i < 12; i++) board.snapshot('s', { at: T0 + 100 + i, severity: null });
    expect(
      board
        .view()
        .severity.find((l) => l.source === 's')!
        .points.map((p) => p.at),
    ).toEqual([107, 108, 109, 110, 111].map((d) => T0 + d));
  });
});

describe('the incident card says what happened, truly', () => {
  // The monitor's triggers at resolution: every rule that fired, with its last value (cleared) and
  // its worst value while it fired.
  const trigger = (rule: string, metric: string, label: string, extra: Record<string, unknown>) => ({
    rule,
    metric,
    label,
    unit: 'ms',
    comparator: '>',
    firing: false,
    layer: 'llm',
    ...extra,
  });
  const resolvedIncident = incident({
    id: 'inc-peaked',
    severity: 'SEV-3',
    peakSeverity: 'SEV-2',
    status: 'resolved',
    resolvedAt: T0 + 600_000,
    updatedAt: T0 + 600_000,
    triggers: [
      trigger('e2e.p90.warning', 'e2eLatencyP90Ms', 'turn latency P90', {
        severity: 'SEV-3',
        threshold: 3500,
        value: 871,
        worstValue: 7900,
      }),
      trigger('quality.e2eLatencyP90Ms.warning', 'e2eLatencyP90Ms', 'turn latency P90', {
        severity: 'SEV-3',
        threshold: 3500,
        value: 871,
        worstValue: 7900,
      }),
      trigger('p90-latency-7s', 'e2eLatencyP90Ms', 'turn latency P90', {
        severity: 'SEV-2',
        threshold: 7000,
        value: 871,
        worstValue: 7900,
      }),
      trigger('component.llmTtft.warning', 'llmTtftP90Ms', 'LLM time to first token P90', {
        severity: 'SEV-3',
        threshold: 400,
        value: 279,
        worstValue: 4230,
      }),
      trigger('component.llmTtft.critical', 'llmTtftP90Ms', 'LLM time to first token P90', {
        severity: 'SEV-3',
        threshold: 800,
        value: 279,
        worstValue: 4230,
      }),
    ],
  });

  it('shows the worst severity a resolved incident reached, one line per figure, no false statement', () => {
    const board = new IncidentBoard();
    board.upsert('demo', resolvedIncident as never);
    const card = board.view().incidents[0]!.card;
    expect(card.badge).toBe('SEV-2');
    expect(card.peakNote).toBeNull();
    expect(card.findings).toEqual([
      { text: 'turn latency P90 peaked at 7.90 s (> 7.00 s, SEV-2); now 871 ms, cleared', firing: false },
      {
        text: 'LLM time to first token P90 peaked at 4.23 s (> 800 ms, SEV-3); now 279 ms, cleared',
        firing: false,
      },
    ]);
  });

  it('while open shows the severity now, the peak beside it, and the band still firing first', () => {
    const board = new IncidentBoard();
    const open = {
      ...resolvedIncident,
      status: 'mitigating',
      resolvedAt: null,
      triggers: [
        ...(resolvedIncident.triggers as object[])
          .slice(0, 3)
          .map((t, i) => (i < 2 ? { ...t, value: 4200, firing: true } : { ...t, value: 4200 })),
        ...(resolvedIncident.triggers as object[]).slice(3),
      ],
    };
    board.upsert('demo', open as never);
    const card = board.view().incidents[0]!.card;
    expect(card.badge).toBe('SEV-3');
    expect(card.peakNote).toBe('peak SEV-2');
    expect(card.findings[0]).toEqual({
      text: 'turn latency P90 4.20 s > 3.50 s (SEV-3); peaked at 7.90 s (> 7.00 s, SEV-2)',
      firing: true,
    });
    expect(card.findings[1]!.firing).toBe(false);
  });

  it('without worst values (an older publisher) says the figure went past its threshold, and is now back', () => {
    const board = new IncidentBoard();
    const bare = {
      ...resolvedIncident,
      triggers: (resolvedIncident.triggers as Record<string, unknown>[]).map(({ worstValue: _, ...t }) => t),
    };
    board.upsert('demo', bare as never);
    expect(board.view().incidents[0]!.card.findings.map((f) => f.text)).toEqual([
      'turn latency P90 went > 7.00 s (SEV-2); now 871 ms, cleared',
      'LLM time to first token P90 went > 800 ms (SEV-3); now 279 ms, cleared',
    ]);
  });

  it('formats rates as percentages and caps the list', () => {
    const board = new IncidentBoard();
    const many = incident({
      triggers: Array.from({ length: 12 }, (_, i) => ({
        rule: `r${i}`,
        metric: `m${i}`,
        label: `rate ${i}`,
        unit: 'ratio',
        severity: 'SEV-3',
        comparator: '<',
        threshold: 0.9,
        value: 0.5,
        firing: true,
      })),
    });
    board.upsert('demo', many as never);
    const findings = board.view().incidents[0]!.card.findings;
    expect(findings[0]!.text).toBe('rate 0 50 % < 90 % (SEV-3)');
    expect(findings).toHaveLength(9);
    expect(findings.at(-1)!.text).toBe('and 4 more figures');
  });
});
