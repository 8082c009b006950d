/**
 * The page's script. `viewerMain` runs in the browser: `page.ts` inlines its source
 * (`viewerMain.toString()`), so it must stay self-contained: no imports but types, no outer
 * variables. It polls `/api/overview` and draws the conversations list, the selected conversation's
 * turn waterfall, the latency panel and the incidents. Every received string goes in as text, never
 * as markup.
 */
import type { Overview } from './app.js';
import type { IncidentView, IncidentsView } from './incidents.js';
import type { LatencyView, Percentiles } from './latency.js';
import type { ConversationView, Segment, TurnView } from './waterfall.js';

/** The browser entry point (see the module comment). */
export function viewerMain(): void {
  const POLL_MS = 1000;
  const SVG = 'http://www.w3.org/2000/svg';
  type Child = Node | string | null | undefined | false;
  type Level = 'ok' | 'warn' | 'bad' | 'none';

  /** Conversations listed before "show all". */
  const LIST_ROWS = 20;

  const state: {
    version: number | null;
    overview: Overview | null;
    selected: string | null;
    detail: ConversationView | null;
    detailVersion: number | null;
    showAll: boolean;
  } = { version: null, overview: null, selected: null, detail: null, detailVersion: null, showAll: false };

  // -- DOM helpers ---------------------------------------------------------------------------

  function h(
    tag: string,
    attrs: Record<string, string | number | null | undefined> = {},
    ...children: Child[]
  ): HTMLElement {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs))
      if (v !== null && v !== undefined) el.setAttribute(k, String(v));
    for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
    return el;
  }

  function s(
    tag: string,
    attrs: Record<string, string | number | null | undefined> = {},
    ...children: Child[]
  ): SVGElement {
    const el = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs))
      if (v !== null && v !== undefined) el.setAttribute(k, String(v));
    for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
    return el;
  }

  function byId(id: string): HTMLElement {
    return document.getElementById(id)!;
  }

  /** Bytes as megabytes, one decimal. */
  function mb(bytes: number): string {
    return (bytes / (1024 * 1024)).toFixed(1);
  }

  function fill(el: Element, ...children: Child[]): void {
    el.replaceChildren(
      ...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false),
    );
  }

  // -- formatting ----------------------------------------------------------------------------

  function dur(ms: number | null | undefined): string {
    if (ms === null || ms === undefined) return '–';
    if (Math.abs(ms) >= 60_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
    if (Math.abs(ms) >= 1000) return `${(ms / 1000).toFixed(2)} s`;
    return `${Math.round(ms)} ms`;
  }

  /** Axis labels: `+2 s`, `-500 ms`, `+1.5 s`. */
  function axisDur(ms: number): string {
    const sign = ms > 0 ? '+' : ms < 0 ? '-' : '';
    const a = Math.abs(ms);
    return `${sign}${a >= 1000 ? `${+(a / 1000).toFixed(2)} s` : `${Math.round(a)} ms`}`;
  }

  function clock(t: number | null | undefined): string {
    if (t === null || t === undefined) return '–';
    return new Date(t).toLocaleTimeString([], { hour12: false });
  }

  /** The newest time the data knows: "today" for {@link stamp}. */
  function latestTime(): number {
    const o = state.overview;
    let t = o?.range?.to ?? Number.NEGATIVE_INFINITY;
    for (const c of o?.conversations ?? []) t = Math.max(t, c.startedAt);
    return Number.isFinite(t) ? t : Date.now();
  }

  /** A time of day, with its date when it is not the day of the newest data (a call from a past day). */
  function stamp(t: number | null | undefined): string {
    if (t === null || t === undefined) return '–';
    const d = new Date(t);
    const ref = new Date(latestTime());
    if (d.toDateString() === ref.toDateString()) return clock(t);
    const date = d.toLocaleDateString([], {
      month: 'short',
      day: 'numeric',
      year: d.getFullYear() === ref.getFullYear() ? undefined : 'numeric',
    });
    return `${date} ${clock(t)}`;
  }

  function clip(text: string, max: number): string {
    return text.length > max ? `${text.slice(0, max - 1)}…` : text;
  }

  function shortId(id: string): string {
    return id.length > 22 ? `${id.slice(0, 10)}…${id.slice(-8)}` : id;
  }

  /** A single turn's wait against the seed's end-to-end bands: on target below the P50 target, bad above the P90 target. */
  function turnLevel(ms: number | null, latency: LatencyView | undefined): Level {
    if (ms === null || !latency) return 'none';
    if (ms < latency.thresholds.p50.warningMs) return 'ok';
    if (ms < latency.thresholds.p90.warningMs) return 'warn';
    return 'bad';
  }

  function bandLevel(ms: number | null, band: { warningMs: number; criticalMs: number } | null): Level {
    if (ms === null || !band) return 'none';
    return ms > band.criticalMs ? 'bad' : ms >= band.warningMs ? 'warn' : 'ok';
  }

  function niceStep(span: number, target: number): number {
    const raw = span / Math.max(1, target);
    const pow = 10 ** Math.floor(Math.log10(raw || 1));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * pow >= raw) return m * pow;
    return 10 * pow;
  }

  // -- conversations list --------------------------------------------------------------------

  function renderList(o: Overview): void {
    const body = byId('conversation-rows');
    fill(byId('conversation-count'), `${o.conversations.length}`);
    if (o.conversations.length === 0) {
      fill(
        body,
        h(
          'tr',
          {},
          h(
            'td',
            { colspan: 6, class: 'empty' },
            'No conversations yet: point a voxtrace process at this server.',
          ),
        ),
      );
      return;
    }
    const shown = state.showAll ? o.conversations : o.conversations.slice(0, LIST_ROWS);
    const hidden = o.conversations.length - shown.length;
    const toggle =
      o.conversations.length > LIST_ROWS
        ? h(
            'tr',
            { class: 'list-more' },
            h(
              'td',
              { colspan: 6 },
              h(
                'button',
                { type: 'button', id: 'list-toggle' },
                hidden > 0
                  ? `Show all ${o.conversations.length} (${hidden} more)`
                  : `Show the newest ${LIST_ROWS}`,
              ),
            ),
          )
        : null;
    if (toggle)
      toggle.querySelector('button')!.addEventListener('click', () => {
        state.showAll = !state.showAll;
        renderList(o);
      });
    fill(
      body,
      ...shown.map((c) => {
        const outcome = c.live ? 'live' : (c.outcome ?? 'ended');
        const worst = c.worstTurn;
        const row = h(
          'tr',
          {
            'data-trace-id': c.traceId,
            class: c.traceId === state.selected ? 'selected' : null,
            tabindex: 0,
          },
          h('td', { class: 'mono' }, stamp(c.startedAt)),
          h('td', { class: 'mono', title: c.conversationId }, shortId(c.conversationId)),
          h('td', {}, c.platform ?? (c.live ? '…' : '–')),
          h('td', { class: 'num' }, String(c.turnCount)),
          h(
            'td',
            { class: `num level-${turnLevel(worst?.e2eMs ?? null, o.latency)}` },
            worst
              ? `${dur(worst.e2eMs)} (#${worst.index}${worst.bottleneck ? `, ${worst.bottleneck}` : ''})`
              : '–',
          ),
          h('td', {}, h('span', { class: `pill outcome-${outcome}` }, outcome)),
        );
        const open = () => {
          location.hash = c.traceId;
        };
        row.addEventListener('click', open);
        row.addEventListener('keydown', (e) => {
          if (e.key === 'Enter') open();
        });
        return row;
      }),
      toggle,
    );
  }

  // -- waterfall -----------------------------------------------------------------------------

  const LANES: { key: string; label: string; kinds: Segment['kind'][] }[] = [
    { key: 'speech', label: 'speech', kinds: ['user_speech', 'agent_speech'] },
    { key: 'stt', label: 'STT', kinds: ['stt'] },
    { key: 'turn_detection', label: 'turn det.', kinds: ['turn_detection'] },
    { key: 'llm', label: 'LLM', kinds: ['llm_ttft', 'llm_generation'] },
    { key: 'tool', label: 'tools', kinds: ['tool'] },
    { key: 'tts', label: 'TTS', kinds: ['tts_ttfb', 'tts_synthesis'] },
  ];
  const KIND_LABELS: [Segment['kind'], string][] = [
    ['user_speech', 'user speech'],
    ['stt', 'STT'],
    ['turn_detection', 'turn detection'],
    ['llm_ttft', 'LLM TTFT'],
    ['llm_generation', 'LLM generation'],
    ['tool', 'tool'],
    ['tts_ttfb', 'TTS TTFB'],
    ['tts_synthesis', 'TTS synthesis'],
    ['agent_speech', 'agent speech'],
  ];

  function anchorOf(t: TurnView): number {
    return t.userSpeechEndedAt ?? t.startMs;
  }

  function renderWaterfall(c: ConversationView | null): void {
    const panel = byId('waterfall');
    if (!c) {
      fill(
        panel,
        h(
          'p',
          { class: 'empty' },
          state.selected
            ? 'This conversation is no longer held (the ring keeps the last ones).'
            : 'Select a conversation to see its turns.',
        ),
      );
      return;
    }
    const latency = state.overview?.latency;
    const head = h(
      'div',
      { class: 'wf-head' },
      h('h3', { title: c.conversationId }, c.conversationId),
      h(
        'div',
        { class: 'wf-meta' },
        h(
          'span',
          { class: `pill outcome-${c.live ? 'live' : (c.outcome ?? 'ended')}` },
          c.live ? 'live' : (c.outcome ?? 'ended'),
        ),
        ` ${c.platform ?? 'platform known at the end of the call'} · ${c.turnCount} turns · started ${stamp(c.startedAt)}`,
        c.endedAt !== null ? ` · ${dur(c.endedAt - c.startedAt)}` : '',
        c.worstTurn ? ` · worst turn #${c.worstTurn.index} ${dur(c.worstTurn.e2eMs)}` : '',
        c.droppedSpans ? ` · ${c.droppedSpans} spans dropped at the cap` : '',
      ),
    );
    const legend = h(
      'div',
      { class: 'legend' },
      ...KIND_LABELS.map(([k, label]) =>
        h('span', { class: 'key' }, h('i', { class: `seg-swatch k-${k}` }), label),
      ),
      h('span', { class: 'key' }, h('i', { class: 'seg-swatch bottleneck-swatch' }), 'bottleneck'),
      h('span', { class: 'key' }, h('i', { class: 'wait-swatch' }), 'caller waits (0 = end of user speech)'),
    );
    if (c.turns.length === 0) {
      fill(
        panel,
        head,
        h('p', { class: 'empty' }, 'No turn has arrived yet (a turn is exported once it is finished).'),
      );
      return;
    }
    let lo = 0;
    let hi = 0;
    for (const t of c.turns) {
      const a = anchorOf(t);
      for (const seg of t.segments) {
        lo = Math.min(lo, seg.startMs - a);
        hi = Math.max(hi, seg.endMs - a);
      }
      if (t.e2eMs !== null) hi = Math.max(hi, t.e2eMs);
    }
    if (hi - lo < 1) hi = lo + 1;
    const pct = (rel: number) => `${(((rel - lo) / (hi - lo)) * 100).toFixed(3)}%`;
    const lanes = LANES.filter((l) =>
      c.turns.some((t) => t.segments.some((seg) => l.kinds.includes(seg.kind))),
    );
    const step = niceStep(hi - lo, 8);
    const ticks: HTMLElement[] = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi; v += step)
      ticks.push(
        h(
          'span',
          { class: v === 0 ? 'tick zero' : 'tick', style: `left:${pct(v)}` },
          v === 0 ? '0' : axisDur(v),
        ),
      );
    const axis = h(
      'div',
      { class: 'wf-row wf-axis' },
      h('div', { class: 'wf-label' }, 'turn · wait · bottleneck'),
      h('div', { class: 'wf-track' }, ...ticks),
    );

    const rows = c.turns.map((t) => {
      const a = anchorOf(t);
      const level = turnLevel(t.e2eMs, latency);
      const label = h(
        'div',
        { class: 'wf-label' },
        h(
          'div',
          { class: 'wf-title' },
          h('b', {}, `#${t.index}`),
          ` ${t.initiator === 'agent' ? 'agent' : 'user'} `,
          h('span', { class: `lat level-${level}` }, dur(t.e2eMs)),
        ),
        t.bottleneck
          ? h(
              'div',
              { class: 'wf-bottleneck' },
              `bottleneck: ${t.bottleneck.component}${t.bottleneck.share !== null ? ` ${Math.round(t.bottleneck.share * 100)}%` : ''}`,
            )
          : null,
        t.errorLayers.length ? h('div', { class: 'wf-error' }, `errors: ${t.errorLayers.join(', ')}`) : null,
        t.interrupted ? h('div', { class: 'wf-note' }, 'interrupted') : null,
        t.transcript ? h('div', { class: 'wf-transcript', title: t.transcript }, `“${t.transcript}”`) : null,
      );
      const laneEls = lanes.map((l) =>
        h(
          'div',
          { class: 'lane', 'data-lane': l.key, title: l.label },
          ...t.segments
            .filter((seg) => l.kinds.includes(seg.kind))
            .map((seg) =>
              h('div', {
                class: [
                  'seg',
                  `k-${seg.kind}`,
                  seg.bottleneck ? 'bottleneck' : '',
                  seg.error ? 'error' : '',
                  seg.estimated ? 'estimated' : '',
                ]
                  .filter(Boolean)
                  .join(' '),
                'data-kind': seg.kind,
                style: `left:${pct(seg.startMs - a)};width:max(2px,calc(${pct(seg.endMs - a)} - ${pct(seg.startMs - a)}))`,
                title: `${seg.label}${seg.bottleneck ? ' · bottleneck' : ''}${seg.error ? ` · error: ${seg.error}` : ''}\n${clock(seg.startMs)} → ${clock(seg.endMs)} (${dur(seg.startMs - a)} → ${dur(seg.endMs - a)})`,
              }),
            ),
        ),
      );
      const wait =
        t.e2eMs !== null && t.userSpeechEndedAt !== null
          ? h(
              'div',
              { class: 'lane wait-lane' },
              h('div', {
                class: `wait level-${level}${t.bottleneck?.component === 'other' ? ' bottleneck' : ''}`,
                style: `left:${pct(0)};width:calc(${pct(t.e2eMs)} - ${pct(0)})`,
                title: `caller waited ${dur(t.e2eMs)}${
                  t.breakdown
                    ? `: ${Object.entries(t.breakdown)
                        .filter(([, v]) => v! > 0)
                        .map(([k, v]) => `${k} ${dur(v)}`)
                        .join(', ')}`
                    : ''
                }`,
              }),
              h('span', { class: 'wait-label', style: `left:calc(${pct(t.e2eMs)} + 4px)` }, dur(t.e2eMs)),
            )
          : null;
      return h(
        'div',
        { class: `wf-row turn${t.bottleneck ? ' has-bottleneck' : ''}`, 'data-turn': t.index },
        label,
        h(
          'div',
          { class: 'wf-track' },
          h('div', { class: 'zero-line', style: `left:${pct(0)}` }),
          ...laneEls,
          wait,
        ),
      );
    });
    fill(panel, head, legend, h('div', { class: 'wf-body' }, axis, ...rows));
  }

  // -- latency -------------------------------------------------------------------------------

  const PCTS: { key: 'p50' | 'p90' | 'p95' | 'p99'; label: string; color: string }[] = [
    { key: 'p50', label: 'P50', color: '#2563eb' },
    { key: 'p90', label: 'P90', color: '#ea580c' },
    { key: 'p95', label: 'P95', color: '#9333ea' },
    { key: 'p99', label: 'P99', color: '#dc2626' },
  ];

  /** Both time charts share the domain and the margins, so their times line up. */
  const MARGIN = { left: 110, right: 180 };
  /** Vertical room of a threshold label (font 10 px and its descent). */
  const LABEL_GAP = 13;
  /** Characters of a lane label that fit the left margin. */
  const LANE_LABEL_CHARS = 15;

  /** The server's range: the latest stretch of activity (older data is listed, not charted). */
  function timeDomain(o: Overview): [number, number] | null {
    if (!o.range) return null;
    const { from, to } = o.range;
    return [from, to > from ? to : from + 1000];
  }

  function timeTicks(
    lo: number,
    hi: number,
    x: (t: number) => number,
    y: number,
    height: number,
  ): SVGElement[] {
    const step = niceStep(hi - lo, 6);
    const out: SVGElement[] = [];
    for (let t = Math.ceil(lo / step) * step; t <= hi; t += step) {
      out.push(s('line', { x1: x(t), x2: x(t), y1: y - height, y2: y, class: 'grid' }));
      out.push(s('text', { x: x(t), y: y + 14, class: 'axis-label', 'text-anchor': 'middle' }, clock(t)));
    }
    return out;
  }

  function renderLatency(o: Overview): void {
    const l = o.latency;
    const W = 820;
    const H = 250;
    const M = { ...MARGIN, top: 12, bottom: 24 };
    const domain = timeDomain(o);
    const chart = byId('latency-chart');
    if (!domain || l.series.length === 0) {
      fill(
        chart,
        h('p', { class: 'empty' }, 'Turn latency percentiles appear once turns with a known latency arrive.'),
      );
    } else {
      const [lo, hi] = domain;
      let ymax = l.thresholds.p90.criticalMs;
      for (const p of l.series) for (const k of PCTS) ymax = Math.max(ymax, p[k.key] ?? 0);
      ymax = Math.ceil((ymax * 1.1) / 1000) * 1000;
      const x = (t: number) => M.left + ((t - lo) / (hi - lo)) * (W - M.left - M.right);
      const y = (v: number) => H - M.bottom - (v / ymax) * (H - M.top - M.bottom);
      const nodes: SVGElement[] = [];
      const ystep = niceStep(ymax, 5);
      for (let v = 0; v <= ymax; v += ystep) {
        nodes.push(s('line', { x1: M.left, x2: W - M.right, y1: y(v), y2: y(v), class: 'grid' }));
        nodes.push(
          s(
            'text',
            { x: M.left - 6, y: y(v) + 4, class: 'axis-label', 'text-anchor': 'end' },
            v === 0 ? '0' : axisDur(v).replace('+', ''),
          ),
        );
      }
      nodes.push(...timeTicks(lo, hi, x, H - M.bottom, H - M.top - M.bottom));
      const labels: { value: number; at: number; text: string; color: string }[] = [];
      for (const p of PCTS) {
        const band = l.thresholds[p.key];
        const lines: [number, string, boolean][] = [
          [band.warningMs, `${p.label} target ${dur(band.warningMs)}`, false],
        ];
        if (p.key === 'p90')
          lines.push([band.criticalMs, `${p.label} critical ${dur(band.criticalMs)}`, true]);
        for (const [v, text, critical] of lines) {
          if (v > ymax) continue;
          nodes.push(
            s('line', {
              x1: M.left,
              x2: W - M.right,
              y1: y(v),
              y2: y(v),
              stroke: p.color,
              class: `threshold${critical ? ' critical' : ''}`,
              'data-threshold': `${p.key}:${v}`,
            }),
          );
          // Thresholds can coincide (P95 target = P90 critical): one label names both.
          const same = labels.find((lb) => lb.value === v);
          if (same) same.text = `${same.text.replace(/ [^ ]+ [^ ]+$/, '')} = ${text}`;
          else labels.push({ value: v, at: y(v) + 4, text, color: p.color });
        }
      }
      // Labels of close thresholds are pushed apart, bottom up, and kept inside the chart.
      labels.sort((a, b) => b.at - a.at);
      let floor = Infinity;
      const placed = labels.map((lb) => {
        floor = Math.min(lb.at, floor - LABEL_GAP);
        return floor;
      });
      const overflow = M.top + 8 - Math.min(...placed);
      labels.forEach((lb, i) => {
        const at = overflow > 0 ? placed[i]! + overflow : placed[i]!;
        nodes.push(
          s('text', { x: W - M.right + 4, y: at, class: 'threshold-label', fill: lb.color }, lb.text),
        );
      });
      for (const p of PCTS) {
        let d = '';
        let pen = false;
        for (const pt of l.series) {
          const v = pt[p.key];
          if (v === null) {
            pen = false;
            continue;
          }
          d += `${pen ? 'L' : 'M'}${x(pt.at).toFixed(1)},${y(v).toFixed(1)}`;
          pen = true;
        }
        nodes.push(s('path', { d, stroke: p.color, class: 'series', 'data-series': p.key }));
      }
      fill(
        chart,
        s(
          'svg',
          {
            viewBox: `0 0 ${W} ${H}`,
            class: 'chart',
            role: 'img',
            'aria-label': 'turn latency percentiles over time',
          },
          ...nodes,
        ),
      );
    }
    const cur: Percentiles = l.current;
    fill(
      byId('latency-now'),
      h('span', { class: 'muted' }, `last ${Math.round(l.windowMs / 1000)} s, ${cur.count} turns:`),
      ...PCTS.map((p) =>
        h(
          'span',
          { class: `now level-${bandLevel(cur[p.key], l.thresholds[p.key])}` },
          h('i', { class: 'dot', style: `background:${p.color}` }),
          `${p.label} ${dur(cur[p.key])}`,
          h('small', {}, ` (target < ${dur(l.thresholds[p.key].warningMs)})`),
        ),
      ),
    );
    fill(
      byId('components'),
      h(
        'tr',
        {},
        h('th', {}, 'component'),
        h('th', { class: 'num' }, 'P90'),
        h('th', { class: 'num' }, 'target'),
        h('th', { class: 'num' }, 'calls'),
      ),
      ...l.components.map((c) =>
        h(
          'tr',
          { 'data-component': c.metric },
          h('td', {}, c.label),
          h('td', { class: `num level-${bandLevel(c.p90, c.threshold)}` }, dur(c.p90)),
          h('td', { class: 'num muted' }, c.threshold ? `< ${dur(c.threshold.warningMs)}` : '–'),
          h('td', { class: 'num muted' }, String(c.count)),
        ),
      ),
    );
    fill(
      byId('parts'),
      h(
        'tr',
        {},
        h('th', {}, 'part of the wait'),
        h('th', { class: 'num' }, 'P90'),
        h('th', { class: 'num' }, 'bottleneck of'),
      ),
      ...l.parts.map((p) =>
        h(
          'tr',
          { 'data-part': p.component },
          h('td', {}, p.component),
          h('td', { class: 'num' }, dur(p.p90)),
          h('td', { class: 'num muted' }, `${l.bottlenecks[p.component] ?? 0} turns`),
        ),
      ),
    );
  }

  // -- severity and incidents ----------------------------------------------------------------

  const SEV_COLORS: Record<string, string> = {
    'SEV-1': '#dc2626',
    'SEV-2': '#ea580c',
    'SEV-3': '#ca8a04',
    ok: '#16a34a',
  };

  function renderSeverity(o: Overview): void {
    const v: IncidentsView = o.incidents;
    const el = byId('severity');
    const domain = timeDomain(o);
    if (!domain || (v.severity.length === 0 && v.incidents.length === 0)) {
      fill(
        el,
        h(
          'p',
          { class: 'empty' },
          'No monitor snapshots or incidents yet: publish them with connectToDevViewer(vt, url).',
        ),
      );
      return;
    }
    const [lo, hi] = domain;
    const W = 820;
    const M = MARGIN;
    const laneH = 18;
    // Older incidents are in the list; the chart shows the latest stretch of activity.
    const charted = v.incidents.filter((i) => (i.resolvedAt ?? hi) >= lo && i.openedAt <= hi);
    const rows = v.severity.length + charted.length;
    const H = rows * (laneH + 6) + 30;
    const x = (t: number) =>
      M.left + ((Math.min(Math.max(t, lo), hi) - lo) / (hi - lo)) * (W - M.left - M.right);
    const nodes: SVGElement[] = [];
    let row = 0;
    for (const src of v.severity) {
      const y = 6 + row * (laneH + 6);
      nodes.push(
        s(
          'text',
          { x: M.left - 6, y: y + 13, class: 'axis-label lane-label', 'text-anchor': 'end' },
          clip(src.source, LANE_LABEL_CHARS),
          s('title', {}, `severity published by ${src.source}`),
        ),
      );
      // Each reading holds until the next; the last one for a typical interval.
      const gaps = src.points
        .slice(1)
        .map((p, i) => p.at - src.points[i]!.at)
        .sort((a, b) => a - b);
      const interval = gaps[Math.floor(gaps.length / 2)] ?? (hi - lo) / 50;
      src.points.forEach((p, i) => {
        const next = src.points[i + 1];
        const end = next ? next.at : p.at + interval;
        if (end < lo || p.at > hi) return;
        nodes.push(
          s(
            'rect',
            {
              x: x(p.at),
              y,
              width: Math.max(2, x(end) - x(p.at)),
              height: laneH,
              fill: SEV_COLORS[p.severity ?? 'ok'],
              class: 'sev',
              'data-severity': p.severity ?? 'ok',
            },
            s(
              'title',
              {},
              `${stamp(p.at)} ${p.severity ?? 'no incident'}${p.latency?.p90 != null ? ` · P90 ${dur(p.latency.p90)}` : ''}`,
            ),
          ),
        );
      });
      row++;
    }
    for (const i of charted) {
      const y = 6 + row * (laneH + 6);
      const end = i.resolvedAt ?? hi;
      nodes.push(
        s(
          'text',
          { x: M.left - 6, y: y + 13, class: 'axis-label lane-label', 'text-anchor': 'end' },
          `${i.card.badge} ${clock(i.openedAt)}`,
          s('title', {}, i.id),
        ),
      );
      nodes.push(
        s(
          'rect',
          {
            x: x(i.openedAt),
            y,
            width: Math.max(3, x(end) - x(i.openedAt)),
            height: laneH,
            rx: 3,
            fill: SEV_COLORS[i.peakSeverity ?? i.severity],
            class: `incident-bar${i.resolved ? ' resolved' : ''}`,
          },
          s(
            'title',
            {},
            `${i.id} ${i.card.badge} ${i.status}: ${stamp(i.openedAt)} → ${i.resolvedAt ? stamp(i.resolvedAt) : 'open'}`,
          ),
        ),
      );
      row++;
    }
    nodes.push(...timeTicks(lo, hi, x, H - 18, H - 24));
    fill(el, s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart' }, ...nodes));
  }

  function renderIncidents(o: Overview): void {
    const list = byId('incidents');
    const incidents = o.incidents.incidents;
    const open = incidents.filter((i) => !i.resolved).length;
    fill(byId('incident-count'), open ? `${open} open` : incidents.length ? 'all resolved' : 'none');
    if (!incidents.length) {
      fill(list, h('p', { class: 'empty' }, 'No incident.'));
      return;
    }
    fill(list, ...incidents.map(incidentCard));
  }

  function incidentCard(i: IncidentView): HTMLElement {
    const findings = i.card.findings.map((f) => h('li', { class: f.firing ? 'firing' : 'cleared' }, f.text));
    const timeline = (i.timeline ?? [])
      .slice(-5)
      .map((e) => h('li', {}, h('span', { class: 'mono' }, stamp(e.at)), ` ${e.message ?? e.event ?? ''}`));
    return h(
      'article',
      {
        class: `incident${i.resolved ? ' resolved' : ''}`,
        'data-id': i.id,
        'data-status': i.resolved ? 'resolved' : 'open',
      },
      h(
        'header',
        {},
        h(
          'span',
          {
            class: `sev-badge sev-${i.card.badge}`,
            title: i.resolved ? `worst severity reached: ${i.card.badge}` : `severity now: ${i.card.badge}`,
          },
          i.card.badge,
        ),
        h('b', {}, ` ${i.id} `),
        h('span', { class: `pill status-${i.resolved ? 'resolved' : 'open'}` }, i.status),
        i.layer ? h('span', { class: 'muted' }, ` layer: ${i.layer}`) : null,
      ),
      h(
        'div',
        { class: 'muted' },
        `opened ${stamp(i.openedAt)}`,
        i.resolvedAt ? ` · resolved ${stamp(i.resolvedAt)} after ${dur(i.resolvedAt - i.openedAt)}` : '',
        i.card.peakNote ? ` · ${i.card.peakNote}` : '',
        i.source !== 'default' ? ` · from ${i.source}` : '',
      ),
      findings.length ? h('ul', { class: 'triggers' }, ...findings) : null,
      timeline.length ? h('ul', { class: 'timeline' }, ...timeline) : null,
    );
  }

  // -- polling -------------------------------------------------------------------------------

  function setStatus(ok: boolean, text: string): void {
    const el = byId('status');
    el.className = ok ? 'status ok' : 'status down';
    fill(el, text);
  }

  async function refreshDetail(force: boolean): Promise<void> {
    const sel = state.selected;
    if (!sel) {
      state.detail = null;
      renderWaterfall(null);
      return;
    }
    if (!force && state.detailVersion === state.version && state.detail?.traceId === sel) return;
    const res = await fetch(`/api/conversations/${encodeURIComponent(sel)}`, { cache: 'no-store' });
    if (sel !== state.selected) return;
    state.detail = res.ok ? ((await res.json()) as ConversationView) : null;
    state.detailVersion = state.version;
    renderWaterfall(state.detail);
  }

  async function poll(): Promise<void> {
    try {
      const res = await fetch(`/api/overview${state.version === null ? '' : `?since=${state.version}`}`, {
        cache: 'no-store',
      });
      if (res.status === 200) {
        const o = (await res.json()) as Overview;
        state.overview = o;
        state.version = o.version;
        renderList(o);
        renderLatency(o);
        renderSeverity(o);
        renderIncidents(o);
        fill(
          byId('stats'),
          `${o.stats.conversations} conversations · ${o.stats.spans} spans · ${mb(o.stats.bytes)} of ${mb(o.stats.maxBytes)} MB${o.stats.evictedConversations ? ` · ${o.stats.evictedConversations} older conversations evicted${o.stats.evictedForBytes ? ` (${o.stats.evictedForBytes} for memory)` : ''}` : ''}${o.stats.ignoredSpans ? ` · ${o.stats.ignoredSpans} other spans ignored` : ''}`,
        );
        await refreshDetail(false);
      } else if (res.status !== 204) throw new Error(`HTTP ${res.status}`);
      setStatus(true, 'live');
    } catch (err) {
      setStatus(false, `disconnected (${(err as Error).message})`);
    } finally {
      setTimeout(() => void poll(), POLL_MS);
    }
  }

  function onHash(): void {
    state.selected = /^#?([0-9a-f]{32})$/.exec(location.hash)?.[1] ?? null;
    document
      .querySelectorAll('#conversation-rows tr')
      .forEach((tr) => tr.classList.toggle('selected', tr.getAttribute('data-trace-id') === state.selected));
    void refreshDetail(true).catch(() => undefined);
  }

  fill(byId('endpoint'), `OTLP: ${location.origin}/v1/traces`);
  window.addEventListener('hashchange', onHash);
  onHash();
  void poll();
}
