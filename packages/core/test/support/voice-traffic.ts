// Simulated voice traffic for the monitor tests: calls made of real VoiceEvents with explicit `at`
// times, replayed in time order through a real `createVoxtrace` instance whose clock (`now`) the
// simulation drives, with `vt.tick()` and `vt.monitor.evaluate()` every 10 s of simulated time.
import {
  createVoxtrace,
  type Incident,
  type MonitorSnapshot,
  type Outcome,
  type RuleState,
  type VoiceEvent,
  type Voxtrace,
  type VoxtraceOptions,
} from '@voxtrace/core';

/** Monday 2026-02-16 10:00 UTC. */
export const T0 = Date.UTC(2026, 1, 16, 10, 0, 0);
export const SECOND = 1000;
export const MINUTE = 60_000;

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

/** A lognormal draw with the given median and log-sigma. */
export function lognormal(rand: () => number, median: number, sigma: number): number {
  const u = Math.max(rand(), 1e-12);
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  return median * Math.exp(sigma * z);
}

/** Medians of one turn's components (ms) and what else happens in it. */
export interface TurnShape {
  sttMs: number;
  detectMs: number;
  ttftMs: number;
  llmTailMs: number;
  ttsMs: number;
  networkMs: number;
  sigma: number;
  /** Calls a tool between two LLM calls. */
  tool: boolean;
  interrupted: boolean;
  sttError: boolean;
  /** STT sends nothing at all (no transcript, no error). */
  sttSilent: boolean;
}

/** A healthy pipeline: every component P90 under its target, turn P90 around 1 s. */
export const HEALTHY: TurnShape = {
  sttMs: 120,
  detectMs: 250,
  ttftMs: 250,
  llmTailMs: 300,
  ttsMs: 90,
  networkMs: 50,
  sigma: 0.25,
  tool: false,
  interrupted: false,
  sttError: false,
  sttSilent: false,
};

/** How one call ends. */
export interface CallEnd {
  outcome: Outcome;
  taskCompleted: boolean | null;
}

/** Options of {@link Simulation.calls}. */
export interface TrafficOptions {
  /** Calls start evenly over `[from, from + durationMs)`. */
  from: number;
  durationMs: number;
  callsPerMinute: number;
  turnsPerCall?: number;
  /** The shape of a turn starting at `at` (default: healthy, a tool every third turn, 1 in 25 interrupted). */
  turn?: (at: number, call: number, turn: number) => Partial<TurnShape>;
  /** How call number `call` ends (default: completed, task done except 1 in 20). */
  end?: (at: number, call: number) => Partial<CallEnd>;
  /** Feed ground truth at each call's end (WER 5 %, intents 95 % right, 2 % false barge-ins). */
  quality?: boolean;
  /**
   * The components whose events the platform reports (default all). The pipeline still runs in
   * full: an unreported component takes its time, only its events are missing.
   */
  report?: readonly ReportedComponent[];
}

/** Components whose events a simulated platform may leave out. */
export type ReportedComponent = 'stt' | 'turn' | 'llm' | 'tool' | 'tts';

/** Rule states at one evaluation. */
export interface Evaluation {
  at: number;
  severity: MonitorSnapshot['severity'];
  rules: Record<string, { state: RuleState; value: number | null; samples: number; minSamples: number }>;
  snapshot: MonitorSnapshot;
}

/** A voice event without its time (distributes `Omit` over the union). */
type Untimed = VoiceEvent extends infer E ? (E extends VoiceEvent ? Omit<E, 'at'> : never) : never;

interface Item {
  at: number;
  seq: number;
  run: () => void;
}

/** See the module comment. */
export class Simulation {
  clock: number;
  readonly vt: Voxtrace;
  readonly evaluations: Evaluation[] = [];
  readonly incidents: Incident[] = [];
  readonly rand: () => number;
  private nextEval: number;
  private queue: Item[] = [];
  private seq = 0;
  private callCount = 0;

  readonly evalEveryMs: number;

  constructor(
    options: VoxtraceOptions = {},
    settings: { start?: number; evalEveryMs?: number; seed?: number } = {},
  ) {
    this.evalEveryMs = settings.evalEveryMs ?? 10 * SECOND;
    this.clock = settings.start ?? T0;
    this.nextEval = this.clock + this.evalEveryMs;
    this.rand = rng(settings.seed ?? 7);
    this.vt = createVoxtrace({
      otlp: false,
      ...options,
      now: () => this.clock,
      monitor: options.monitor === false ? false : { evaluationIntervalMs: 0, ...options.monitor },
    });
    this.vt.on('incident', (i) => this.incidents.push(i));
  }

  /** Schedules calls (see {@link TrafficOptions}); `run` replays them. */
  calls(o: TrafficOptions): void {
    const n = Math.round((o.durationMs / MINUTE) * o.callsPerMinute);
    for (let k = 0; k < n; k++) this.call(o.from + (k * o.durationMs) / n, o);
  }

  /** Schedules any action at `at`. */
  at(at: number, run: () => void): void {
    this.queue.push({ at, seq: this.seq++, run });
  }

  /** Replays everything scheduled up to `until`, evaluating every `evalEveryMs`. */
  run(until: number): void {
    this.queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
    let i = 0;
    for (; i < this.queue.length && this.queue[i]!.at <= until; i++) {
      const item = this.queue[i]!;
      this.evaluateUntil(item.at);
      this.clock = Math.max(this.clock, item.at);
      item.run();
    }
    this.queue = this.queue.slice(i);
    this.evaluateUntil(until);
    this.clock = Math.max(this.clock, until);
  }

  /** Evaluations between two times (inclusive). */
  between(from: number, to: number): Evaluation[] {
    return this.evaluations.filter((e) => e.at >= from && e.at <= to);
  }

  /** States a rule went through, in order, without repeats. */
  states(rule: string): { state: RuleState; at: number }[] {
    const out: { state: RuleState; at: number }[] = [];
    for (const e of this.evaluations) {
      const s = e.rules[rule]?.state;
      if (s && out[out.length - 1]?.state !== s) out.push({ state: s, at: e.at });
    }
    return out;
  }

  private evaluateUntil(t: number): void {
    while (this.nextEval <= t) {
      this.clock = this.nextEval;
      this.vt.tick();
      const snapshot = this.vt.monitor.evaluate();
      const rules: Evaluation['rules'] = {};
      for (const r of snapshot.rules)
        rules[r.name] = { state: r.state, value: r.value, samples: r.samples, minSamples: r.minSamples };
      this.evaluations.push({ at: this.clock, severity: snapshot.severity, rules, snapshot });
      this.nextEval += this.evalEveryMs;
    }
  }

  private call(start: number, o: TrafficOptions): void {
    const index = this.callCount++;
    const id = `call-${index}`;
    const r = this.rand;
    let conv: ReturnType<Voxtrace['startConversation']> | undefined;
    this.at(start, () => {
      conv = this.vt.startConversation({ id, platform: 'custom', startedAt: start });
    });
    const reported = (type: string) => {
      const component = type.split('.')[0]!;
      return !o.report || !['stt', 'turn', 'llm', 'tool', 'tts'].includes(component)
        ? true
        : o.report.includes(component as ReportedComponent);
    };
    const rec = (at: number, e: Untimed) => {
      if (reported(e.type)) this.at(at, () => conv!.record({ ...e, at } as VoiceEvent));
    };
    let t = start + 300;
    const turns = o.turnsPerCall ?? 5;
    for (let k = 0; k < turns; k++) {
      const s: TurnShape = {
        ...HEALTHY,
        tool: k % 3 === 2,
        interrupted: (index * turns + k) % 25 === 0,
        ...o.turn?.(t, index, k),
      };
      const draw = (median: number) => lognormal(r, median, s.sigma);
      rec(t, { type: 'user.speech.started' });
      const end = t + 1200 + r() * 800;
      rec(end, { type: 'user.speech.ended' });
      const stt = draw(s.sttMs);
      if (s.sttError) rec(end + stt, { type: 'error', layer: 'stt', message: 'transcription failed' });
      else if (!s.sttSilent)
        rec(end + stt, {
          type: 'stt.final',
          transcript: 'I need to move my appointment',
          latencyMs: stt,
          provider: 'deepgram',
        });
      const detect = draw(s.detectMs);
      rec(end + detect, { type: 'turn.end_detected', delayMs: detect });
      let llm = end + detect;
      if (s.tool) {
        rec(llm, { type: 'llm.started', provider: 'openai' });
        const first = llm + draw(s.ttftMs);
        rec(first, { type: 'llm.first_token' });
        rec(first + 20, { type: 'llm.ended' });
        rec(first + 25, { type: 'tool.started', name: 'find_slots', callId: `${id}-${k}` });
        rec(first + 25 + 150, { type: 'tool.ended', name: 'find_slots', callId: `${id}-${k}` });
        llm = first + 180;
      }
      rec(llm, { type: 'llm.started', provider: 'openai' });
      const firstToken = llm + draw(s.ttftMs);
      rec(firstToken, { type: 'llm.first_token' });
      rec(firstToken, { type: 'tts.started', provider: 'elevenlabs' });
      const audio = firstToken + draw(s.ttsMs);
      rec(audio, { type: 'tts.first_audio' });
      const speak = audio + draw(s.networkMs);
      rec(speak, { type: 'agent.speech.started' });
      rec(firstToken + draw(s.llmTailMs), { type: 'llm.ended' });
      rec(speak + 1500, { type: 'tts.ended' });
      rec(speak + 2000, { type: 'agent.speech.ended', interrupted: s.interrupted });
      t = speak + 2500;
    }
    const ending: CallEnd = {
      outcome: 'completed',
      taskCompleted: index % 20 !== 19,
      ...o.end?.(t, index),
    };
    this.at(t, () => {
      conv!.end({ ...ending, endedAt: t });
      if (o.quality) {
        this.vt.monitor.recordQuality({ wordErrorRate: 0.05, words: 20 });
        this.vt.monitor.recordQuality({ intents: { checked: 1, correct: index % 20 === 3 ? 0 : 1 } });
        this.vt.monitor.recordQuality({
          interruptions: { checked: 1, falsePositives: index % 50 === 7 ? 1 : 0 },
        });
      }
    });
  }
}
