// @ts-check
/**
 * What the demo prints: a live progress line, the incident templates as the monitor reports
 * incidents, and the summary at the end (turn latency percentiles by phase, bottlenecks, errors,
 * incidents). Everything comes from voxtrace's own events (`turn`, `conversation`, `incident`) and
 * monitor snapshots; percentiles over the whole run are nearest-rank (the viewer's `percentiles`).
 */
import { percentiles } from '@voxtrace/cli';
import { renderInternalUpdate, renderResolution } from '@voxtrace/core';

/** @typedef {import('@voxtrace/core').Voxtrace} Voxtrace */
/** @typedef {import('@voxtrace/core').Incident} Incident */
/** @typedef {import('@voxtrace/core').TurnRecord} TurnRecord */
/** @typedef {import('./scenarios.mjs').Scenario} Scenario */

/** @type {Record<import('./calls.mjs').CallEnding, string>} */
const ENDINGS = {
  completed: 'script done',
  gave_up: 'caller gave up',
  hung_up: 'cut by the end of the run',
  session_closed: 'closed by LiveKit',
  failed: 'failed to run',
};

/** Turns kept for the summary, at most (a run of the maximum duration makes far fewer). */
const MAX_TURNS = 100_000;

/**
 * One finished turn, as the summary needs it.
 * @typedef {{ atMs: number, e2eMs: number | null, bottleneck: string | null, errors: string[] }} TurnFact
 */

/** @param {number} ms */
export const clock = (ms) => {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

/** @param {number | null | undefined} ms */
const secs = (ms) => (ms === null || ms === undefined ? '—' : `${(ms / 1000).toFixed(2)} s`);

/** @param {number} t epoch ms */
const wallClock = (t) => new Date(t).toISOString().slice(11, 19);

/** `llm 12, tts 1` from a list of names. @param {(string | null)[]} names */
function tally(names) {
  /** @type {Map<string, number>} */
  const counts = new Map();
  for (const n of names) if (n) counts.set(n, (counts.get(n) ?? 0) + 1);
  return (
    [...counts]
      .sort((a, b) => b[1] - a[1])
      .map(([n, c]) => `${n} ${c}`)
      .join(', ') || '—'
  );
}

/**
 * The rules of an incident's peak severity by name, and how many others fired.
 * @param {Incident} incident
 */
function rulesFired(incident) {
  const top = incident.triggers.filter((t) => t.severity === incident.peakSeverity).map((t) => t.rule);
  const others = incident.triggers.length - top.length;
  return `${top.join(', ')}${others ? ` + ${others} ${others === 1 ? 'other' : 'others'}` : ''}`;
}

/**
 * LiveKit 1.9's `tts.StreamAdapter` (wrapping every non-streaming TTS) forwards its TTS's `error`
 * events to itself, and nothing listens to the adapter: `EventEmitter` throws `ERR_UNHANDLED_ERROR`
 * inside the synthesis task, which rejects unhandled. The session heard the error from the TTS itself.
 * @param {unknown} reason
 */
function isStreamAdapterTtsError(reason) {
  const e = /** @type {{ code?: unknown, context?: { type?: unknown } } | null} */ (reason);
  return e?.code === 'ERR_UNHANDLED_ERROR' && e.context?.type === 'tts_error';
}

/** Renders rows as columns; numbers right-aligned. @param {string[][]} rows */
function table(rows) {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) =>
    r
      .map((cell, i) =>
        /^[\d.]+( s)?$|^—$/.test(cell) && i > 0 ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0),
      )
      .join('  ')
      .trimEnd(),
  );
}

/**
 * Subscribes to a voxtrace instance and prints what the demo shows.
 */
export class Report {
  /** @type {TurnFact[]} */
  #turns = [];
  /** @type {Map<string, number>} */
  #outcomes = new Map();
  /** @type {Map<string, Incident>} */
  #incidents = new Map();
  /** @type {string[]} */
  #endings = [];
  #progressShown = false;
  #lastPlainProgress = 0;
  #diagnostics = 0;
  /** @type {Map<string, number>} */
  #rejections = new Map();

  /**
   * @param {object} options
   * @param {Voxtrace} options.vt
   * @param {Scenario} options.scenario
   * @param {{ fromMs: number, toMs: number } | null} options.fault
   * @param {number} options.startedAt epoch ms
   * @param {NodeJS.WriteStream} [options.out]
   */
  constructor({ vt, scenario, fault, startedAt, out = process.stdout }) {
    this.vt = vt;
    this.scenario = scenario;
    this.fault = fault;
    this.startedAt = startedAt;
    this.out = out;
    /** Redraw the progress line in place only on a terminal; elsewhere print it now and then. */
    this.tty = Boolean(out.isTTY);
    vt.on('turn', (t) => this.#turn(t));
    vt.on('conversation', (c) => this.#outcomes.set(c.outcome, (this.#outcomes.get(c.outcome) ?? 0) + 1));
    vt.on('incident', (i) => this.#incident(i));
  }

  /** Prints lines above the progress line. @param {string[]} lines */
  print(...lines) {
    this.#clearProgress();
    this.out.write(`${lines.join('\n')}\n`);
  }

  /** Counts a voxtrace diagnostic and prints the first few. @param {import('@voxtrace/core').Diagnostic} d */
  diagnostic(d) {
    this.#diagnostics++;
    if (this.#diagnostics <= 5) this.print(`[voxtrace] ${d.code}: ${d.message}`);
  }

  /**
   * Counts a promise rejection nobody handled (the process would otherwise exit) and explains the
   * first of each kind.
   * @param {unknown} reason
   */
  unhandledRejection(reason) {
    const kind = isStreamAdapterTtsError(reason) ? 'livekit-tts-stream-adapter' : 'other';
    const n = (this.#rejections.get(kind) ?? 0) + 1;
    this.#rejections.set(kind, n);
    if (n > 1) return;
    this.print(
      kind === 'other'
        ? `unhandled rejection (the demo goes on): ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`
        : "LiveKit: a TTS error re-emitted by LiveKit's TTS StreamAdapter, where nothing listens, became an " +
            'unhandled rejection (LiveKit 1.9 with a non-streaming TTS); the session already got the error. ' +
            'The demo counts these instead of exiting.',
    );
  }

  /**
   * Redraws the progress line: run time, phase, calls, turns, the monitor's window P50/P90, severity.
   * @param {{ live: number, durationMs: number }} calls
   */
  progress({ live, durationMs }) {
    const now = Date.now();
    const elapsed = now - this.startedAt;
    const snap = this.vt.monitor.snapshot();
    const ended = [...this.#outcomes.values()].reduce((a, b) => a + b, 0);
    const state = `${snap.severity ?? 'no rule firing'}${snap.incident ? `, incident ${snap.incident.status}` : ''}`;
    // Most telling first: a narrow terminal cuts the end of the line.
    const line =
      `${clock(Math.min(elapsed, durationMs))}/${clock(durationMs)} ${this.#phaseAt(elapsed)} │ ` +
      `window P50 ${secs(snap.latency.p50)} P90 ${secs(snap.latency.p90)} │ ${state} │ ` +
      `calls ${live} live, ${ended} ended │ turns ${this.#turns.length}`;
    if (this.tty) {
      this.out.write(`\r\x1b[2K${line.slice(0, (this.out.columns ?? 200) - 1)}`);
      this.#progressShown = true;
    } else if (now - this.#lastPlainProgress >= 10_000) {
      this.#lastPlainProgress = now;
      this.out.write(`${line}\n`);
    }
  }

  /** Counts how a call ended, as the caller saw it. @param {import('./calls.mjs').CallEnding} ending */
  callEnded(ending) {
    this.#endings.push(ENDINGS[ending]);
  }

  /** Incidents seen, newest last. */
  incidents() {
    return [...this.#incidents.values()];
  }

  /** The summary at the end of the run. @param {{ calls: number, durationMs: number, interrupted: boolean }} run */
  summary({ calls, durationMs, interrupted }) {
    const rows = [['phase', 'from', 'turns', 'P50', 'P90', 'P95', 'P99', 'bottlenecks', 'errors']];
    for (const p of [...this.#phases(), { label: 'whole run', fromMs: 0, toMs: Infinity }]) {
      const turns = this.#turns.filter((t) => t.atMs >= p.fromMs && t.atMs < p.toMs);
      const pct = percentiles(turns.flatMap((t) => (t.e2eMs === null ? [] : [t.e2eMs])));
      rows.push([
        p.label,
        clock(p.fromMs),
        String(pct.count),
        secs(pct.p50),
        secs(pct.p90),
        secs(pct.p95),
        secs(pct.p99),
        tally(turns.map((t) => t.bottleneck)),
        tally(turns.flatMap((t) => [...new Set(t.errors)])),
      ]);
    }
    const outcomes = tally([...this.#outcomes].flatMap(([o, n]) => Array(n).fill(o)));
    const lines = [
      '',
      `── summary: ${this.scenario.name}, ${calls} concurrent calls, ${clock(durationMs)}${interrupted ? ' (interrupted)' : ''} ──`,
      `calls: ${this.#endings.length} (${tally(this.#endings)}); outcomes recorded: ${outcomes}`,
      `turn latency (first agent audio − end of the caller's speech) by phase, over the turns that have one; errors: turns with one, by layer`,
      ...table(rows).map((r) => `  ${r}`),
      'incidents:',
      ...this.#incidentRows(),
      ...(this.#diagnostics ? [`voxtrace diagnostics: ${this.#diagnostics}`] : []),
      ...[...this.#rejections].map(([kind, n]) =>
        kind === 'other'
          ? `unhandled rejections: ${n}`
          : `LiveKit TTS errors re-emitted with no listener (unhandled rejections, caught): ${n}`,
      ),
    ];
    this.print(...lines);
  }

  // -- internals ---------------------------------------------------------------------------------

  /** @param {TurnRecord} t */
  #turn(t) {
    if (this.#turns.length >= MAX_TURNS) return;
    this.#turns.push({
      atMs: (t.userSpeechEndedAt ?? t.startedAt) - this.startedAt,
      e2eMs: t.e2eLatencyMs,
      bottleneck: t.bottleneck?.component ?? null,
      errors: t.errors.map((e) => e.layer),
    });
  }

  /** @param {Incident} incident */
  #incident(incident) {
    const seen = this.#incidents.get(incident.id);
    this.#incidents.set(incident.id, incident);
    const at = `${clock(incident.updatedAt - this.startedAt)} (${wallClock(incident.updatedAt)} UTC)`;
    if (incident.status === 'resolved') {
      this.print(
        '',
        `━━ incident ${incident.id} resolved at ${at}: resolution template ━━`,
        renderResolution(incident, {
          rootCause: `the demo's scenario: ${this.scenario.summary}`,
          fixApplied: 'none needed: the fault window of the scenario ended and the provider recovered',
          prevention: 'none: simulated incident',
        }),
        '',
      );
    } else if (!seen || incident.severity < seen.severity) {
      // 'SEV-1' < 'SEV-2' < 'SEV-3': a smaller name is more severe.
      const what = seen
        ? `escalated ${seen.severity} → ${incident.severity}`
        : `opened (${incident.severity})`;
      this.print(
        '',
        `━━ incident ${incident.id} ${what} at ${at}: internal update template ━━`,
        renderInternalUpdate(incident),
        '',
      );
    } else {
      const change = seen.severity !== incident.severity ? `${seen.severity} → ${incident.severity}, ` : '';
      this.print(
        `incident ${incident.id} update #${incident.update} at ${at}: ${change}${incident.status}${incident.layer ? `, layer ${incident.layer}` : ''}`,
      );
    }
  }

  #incidentRows() {
    const incidents = this.incidents();
    if (incidents.length === 0) return ['  none'];
    const rows = [
      ['severity', 'id', 'layer', 'opened', 'resolved', 'duration', 'turn P90 during', 'rules that fired'],
    ];
    for (const i of incidents) {
      rows.push([
        i.peakSeverity,
        i.id,
        i.layer ?? '—',
        clock(i.openedAt - this.startedAt),
        i.resolvedAt === null ? 'still open' : clock(i.resolvedAt - this.startedAt),
        clock(i.figures.durationMs),
        secs(i.figures.p90Ms),
        rulesFired(i),
      ]);
    }
    return table(rows).map((r) => `  ${r}`);
  }

  /** The run's phases: before, during and after the fault window (one phase without a fault). */
  #phases() {
    if (!this.fault || !this.scenario.fault) return [{ label: 'healthy', fromMs: 0, toMs: Infinity }];
    return [
      { label: 'before', fromMs: 0, toMs: this.fault.fromMs },
      { label: this.scenario.fault, fromMs: this.fault.fromMs, toMs: this.fault.toMs },
      { label: 'after', fromMs: this.fault.toMs, toMs: Infinity },
    ];
  }

  /** @param {number} elapsedMs */
  #phaseAt(elapsedMs) {
    return this.#phases().find((p) => elapsedMs >= p.fromMs && elapsedMs < p.toMs)?.label ?? '';
  }

  #clearProgress() {
    if (this.#progressShown) this.out.write('\r\x1b[2K');
    this.#progressShown = false;
  }
}
