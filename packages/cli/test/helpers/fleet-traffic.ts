/**
 * Synthetic voice traffic for a fleet of two voxtrace processes (`a`, `b`), each with its own
 * registry, plus a third instance (`all`) fed every call of both: the in-process monitor of the
 * fleet's whole traffic. Time is simulated (`now` clock) in 10 s steps; after each step every
 * process's metrics are sampled (what a 10 s scrape would read) and the fleet monitor evaluates, so
 * the same traffic yields Prometheus input series and the monitor's verdict at the same instants.
 */
import { createVoxtrace, type Incident, type Outcome, type VoiceEvent, type Voxtrace } from '@voxtrace/core';

/** Monday 2026-02-16 10:00 UTC, on a 10 s bucket boundary. */
export const T0 = Date.UTC(2026, 1, 16, 10, 0, 0);
export const STEP_MS = 10_000;

/** A deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Medians (ms) of one turn's components, their spread, and what fails in it. */
export interface TurnSpec {
  sttMs: number;
  detectMs: number;
  ttftMs: number;
  llmTailMs: number;
  ttsMs: number;
  networkMs: number;
  /** Log-sigma of every draw. */
  sigma: number;
  tool: boolean;
  toolError: boolean;
  llmError: boolean;
  sttError: boolean;
  /** STT returns an empty final transcript. */
  sttEmpty: boolean;
  ttsError: boolean;
}

/** Every component P90 under its target; turn P95 under seed 003's 1.5 s. */
export const HEALTHY: TurnSpec = {
  sttMs: 120,
  detectMs: 250,
  ttftMs: 250,
  llmTailMs: 300,
  ttsMs: 90,
  networkMs: 50,
  sigma: 0.15,
  tool: false,
  toolError: false,
  llmError: false,
  sttError: false,
  sttEmpty: false,
  ttsError: false,
};

/** Traffic from `fromMin` (inclusive) to `toMin` (exclusive) of simulated time. */
export interface Phase {
  fromMin: number;
  toMin: number;
  callsPerMinute: number;
  turnsPerCall: number;
  /** Turn `turn` of call `call` (default healthy, a tool call every second turn). */
  turn?: (call: number, turn: number) => Partial<TurnSpec>;
  /** How call `call` ends (default completed; task done except 1 in 20). */
  end?: (call: number) => { outcome?: Outcome; taskCompleted?: boolean | null };
  /** Calls fail to connect: no turn, a telephony error, outcome `error`. */
  notConnecting?: boolean;
}

/** Worker counts of `a` and `b` from minute `atMin` on. */
export interface WorkerChange {
  atMin: number;
  workers: [number, number];
}

/** One sampled series of a process. */
export interface SampledSeries {
  /** `name{labels}` with `instance` and `job`. */
  series: string;
  /** Value at each step; `undefined` before the series existed. */
  values: (number | undefined)[];
}

/** What a run produced. */
export interface FleetRun {
  series: SampledSeries[];
  /** Monitor rules firing in the fleet monitor at each step (index = step). */
  firing: Set<string>[];
  /** What the fleet monitor reported (`vt.on('incident')`), in order. */
  incidents: Incident[];
  steps: number;
}

type Untimed = VoiceEvent extends infer E ? (E extends VoiceEvent ? Omit<E, 'at'> : never) : never;

/** Runs `minutes` of simulated traffic and returns the sampled series and the monitor's verdicts. */
export async function runFleet(
  phases: readonly Phase[],
  minutes: number,
  options: { workers?: readonly WorkerChange[]; seed?: number } = {},
): Promise<FleetRun> {
  let clock = T0;
  const now = () => clock;
  const make = (metrics: boolean) =>
    createVoxtrace({
      otlp: false,
      now,
      metrics: metrics ? {} : false,
      monitor: { evaluationIntervalMs: 0 },
      idleTimeoutMs: 24 * 3_600_000,
    });
  const processes: [Voxtrace, Voxtrace] = [make(true), make(true)];
  const all = make(false);
  const incidents: Incident[] = [];
  all.on('incident', (i) => incidents.push(i));
  const rand = rng(options.seed ?? 11);
  const draw = (median: number, sigma: number) => {
    const u = Math.max(rand(), 1e-12);
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
    return Math.round(median * Math.exp(sigma * z));
  };
  const series = new Map<string, SampledSeries>();
  const firing: Set<string>[] = [];
  const steps = (minutes * 60_000) / STEP_MS;
  let callIndex = 0;
  const owed = new Map<Phase, number>();

  const sample = async (step: number) => {
    for (const [i, vt] of processes.entries()) {
      const instance = i === 0 ? 'a' : 'b';
      for (const metric of await vt.registry!.getMetricsAsJSON()) {
        for (const v of metric.values as {
          value: number;
          labels: Record<string, string | number>;
          metricName?: string;
        }[]) {
          const labels = { ...v.labels, instance, job: 'voxtrace' };
          const key = `${v.metricName ?? metric.name}{${Object.entries(labels)
            .sort(([x], [y]) => x.localeCompare(y))
            .map(([k, val]) => `${k}="${String(val)}"`)
            .join(',')}}`;
          let s = series.get(key);
          if (!s) {
            s = { series: key, values: [] };
            series.set(key, s);
          }
          s.values[step] = v.value;
        }
      }
    }
    firing[step] = new Set(
      all.monitor
        .evaluate()
        .rules.filter((r) => r.state === 'firing')
        .map((r) => r.name),
    );
  };

  const setWorkers = (w: readonly [number, number]) => {
    processes.forEach((vt, i) => vt.monitor.setWorkersActive(w[i]!));
    all.monitor.setWorkersActive(w[0] + w[1]);
  };

  /** Records one call ending at `clock` into its process and into the fleet monitor. */
  const call = (phase: Phase) => {
    const index = callIndex++;
    const targets = [processes[index % 2]!, all];
    const events: VoiceEvent[] = [];
    const rec = (at: number, e: Untimed) => events.push({ ...e, at } as VoiceEvent);
    let t = 0;
    if (phase.notConnecting)
      rec(100, { type: 'error', layer: 'telephony', message: 'SIP 503 from the trunk' });
    else
      for (let k = 0; k < phase.turnsPerCall; k++) {
        const s: TurnSpec = { ...HEALTHY, tool: k % 2 === 1, ...phase.turn?.(index, k) };
        const d = (median: number) => draw(median, s.sigma);
        rec(t, { type: 'user.speech.started' });
        const end = t + 1500;
        rec(end, { type: 'user.speech.ended' });
        const stt = d(s.sttMs);
        if (s.sttError) rec(end + stt, { type: 'error', layer: 'stt', message: 'transcription failed' });
        else
          rec(end + stt, {
            type: 'stt.final',
            transcript: s.sttEmpty ? '' : 'I need to move my appointment',
            latencyMs: stt,
            provider: 'deepgram',
          });
        const detect = d(s.detectMs);
        rec(end + detect, { type: 'turn.end_detected', delayMs: detect });
        let llm = end + detect;
        if (s.tool) {
          rec(llm, { type: 'llm.started', provider: 'openai' });
          rec(llm + 40, { type: 'llm.first_token' });
          rec(llm + 60, { type: 'llm.ended' });
          const callId = `c${index}-${k}`;
          rec(llm + 60, { type: 'tool.started', name: 'find_slots', callId });
          rec(llm + 160, {
            type: 'tool.ended',
            name: 'find_slots',
            callId,
            ...(s.toolError ? { error: 'slot service timeout' } : {}),
          });
          llm += 170;
        }
        rec(llm, { type: 'llm.started', provider: 'openai' });
        const first = llm + d(s.ttftMs);
        rec(first, { type: 'llm.first_token' });
        rec(first, { type: 'tts.started', provider: 'cartesia' });
        const audio = first + d(s.ttsMs);
        rec(audio, { type: 'tts.first_audio' });
        const speak = audio + d(s.networkMs);
        rec(speak, { type: 'agent.speech.started' });
        rec(first + d(s.llmTailMs), {
          type: 'llm.ended',
          ...(s.llmError ? { error: 'rate limited (429)' } : {}),
        });
        rec(speak + 1500, { type: 'tts.ended', ...(s.ttsError ? { error: 'voice not available' } : {}) });
        rec(speak + 2000, { type: 'agent.speech.ended' });
        t = speak + 2500;
      }
    const ending = phase.notConnecting
      ? { outcome: 'error' as const, taskCompleted: null }
      : { outcome: 'completed' as const, taskCompleted: index % 20 !== 19, ...phase.end?.(index) };
    const startedAt = clock - t - 1000;
    events.sort((x, y) => x.at! - y.at!);
    for (const vt of targets) {
      const conv = vt.startConversation({ id: `call-${index}`, platform: 'custom', startedAt });
      for (const e of events) conv.record({ ...e, at: startedAt + e.at! });
      conv.end({ ...ending, endedAt: clock });
    }
  };

  await sample(0);
  for (let step = 1; step <= steps; step++) {
    const minute = ((step - 1) * STEP_MS) / 60_000;
    for (const w of options.workers ?? []) if (w.atMin === minute) setWorkers(w.workers);
    clock = T0 + (step - 1) * STEP_MS + STEP_MS / 2;
    for (const phase of phases) {
      if (minute < phase.fromMin || minute >= phase.toMin) continue;
      const due = (owed.get(phase) ?? 0) + (phase.callsPerMinute * STEP_MS) / 60_000;
      const n = Math.floor(due + 1e-9);
      owed.set(phase, due - n);
      for (let k = 0; k < n; k++) call(phase);
    }
    clock = T0 + step * STEP_MS;
    await sample(step);
  }
  for (const vt of [...processes, all]) await vt.shutdown();
  return { series: [...series.values()], firing, incidents, steps };
}

/** Promtool's value notation for a sampled series: `_` where it did not exist yet. */
export function promtoolValues(s: SampledSeries, steps: number): string {
  return Array.from({ length: steps + 1 }, (_, i) =>
    s.values[i] === undefined ? '_' : String(s.values[i]),
  ).join(' ');
}
