/**
 * `voxtrace replay FILE… [--assert-p90 MS] [--assert-turn-latency MS] [--json]`: runs regression
 * fixtures and recorded platform payloads (Vapi, Retell, Pipecat; see `replay/inputs.ts`) through the
 * pipeline and exits 1 when a turn or the P90 breaches the limits (for CI), 2 on unusable input.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseReplayInput, type ReplayFormat } from '../replay/inputs.js';
import { replayInput } from '../replay/run.js';
import { percentiles } from '../dev/latency.js';
import type { Command } from './index.js';
import { parseCommandArgs, UsageError, withUsage } from './options.js';

/** What a replay found. */
export interface ReplayReport {
  conversations: {
    file: string;
    format: ReplayFormat;
    platform: string;
    id: string;
    turns: number;
    worstTurnMs: number | null;
    outcome: string;
  }[];
  turnLatenciesMs: number[];
  p90Ms: number | null;
  breaches: string[];
  /** What the adapters reported while replaying (parts of payloads skipped…), by file. */
  diagnostics: string[];
}

/**
 * Replays files (fixtures or platform payloads) and checks them against the limits. Throws when a
 * file is unreadable, not a recognised input, or yields no conversation.
 */
export async function replayFiles(
  files: readonly string[],
  limits: { p90Ms?: number; turnLatencyMs?: number } = {},
): Promise<ReplayReport> {
  const report: ReplayReport = {
    conversations: [],
    turnLatenciesMs: [],
    p90Ms: null,
    breaches: [],
    diagnostics: [],
  };
  for (const file of files) {
    let result;
    let format: ReplayFormat;
    try {
      const input = parseReplayInput(await readFile(file, 'utf8'), basename(file));
      format = input.format;
      result = await replayInput(input);
    } catch (err) {
      throw new Error(`${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (result.records.length === 0) throw new Error(`${file}: no conversation in it`);
    report.diagnostics.push(...result.diagnostics.map((d) => `${file}: ${d}`));
    for (const record of result.records) {
      const latencies = record.turns.map((t) => t.e2eLatencyMs).filter((v): v is number => v !== null);
      report.turnLatenciesMs.push(...latencies);
      report.conversations.push({
        file,
        format,
        platform: record.platform,
        id: record.id,
        turns: record.turnCount,
        worstTurnMs: latencies.length ? Math.max(...latencies) : null,
        outcome: record.outcome,
      });
      if (limits.turnLatencyMs === undefined) continue;
      for (const t of record.turns) {
        if (t.e2eLatencyMs !== null && t.e2eLatencyMs > limits.turnLatencyMs) {
          const cause = t.bottleneck ? ` (bottleneck ${t.bottleneck.component})` : '';
          report.breaches.push(
            `${file}: ${record.id} turn ${t.index} took ${t.e2eLatencyMs} ms > ${limits.turnLatencyMs} ms${cause}`,
          );
        }
      }
    }
  }
  report.p90Ms = percentiles(report.turnLatenciesMs).p90;
  if (limits.p90Ms !== undefined && report.p90Ms !== null && report.p90Ms > limits.p90Ms) {
    report.breaches.push(`P90 turn latency ${report.p90Ms} ms > ${limits.p90Ms} ms`);
  }
  return report;
}

const USAGE = `usage: voxtrace replay FILE… [--assert-p90 MS] [--assert-turn-latency MS] [--json]

Replays each FILE through the voxtrace pipeline and checks turn latency (end of user speech → first agent
audio). A FILE is one of:
  - a voxtrace fixture: conversation.toFixture() / toFixture(record), from any platform; a LiveKit session
    is recorded this way (the LiveKit adapter records the live AgentSession)
  - a Vapi server-URL body with an end-of-call-report (or a JSON array of the bodies of one call)
  - a Retell webhook body: call_analyzed or call_ended (or a JSON array of them)
  - a Pipecat RTVI stream: envelopes {conversation_id, ts, message} as the voxtrace observer sends them,
    or records {at_ms, message}; a JSON array, JSON lines, or {"events": [...]}

  --assert-p90 MS            exit 1 when the P90 over every turn of every FILE is above MS
  --assert-turn-latency MS   exit 1 when any turn is slower than MS
  --json                     print the report as JSON

Exit codes: 0 within the limits, 1 a breach, 2 unusable input or options.`;

/** The `replay` subcommand. */
export const replay: Command = {
  summary:
    'replay fixtures and Vapi/Retell/Pipecat payloads; exit 1 on a latency breach (--assert-p90, --assert-turn-latency)',
  run: (args) =>
    withUsage('replay', USAGE, async () => {
      const { values, positionals } = parseCommandArgs({
        args,
        strict: true,
        allowPositionals: true,
        options: {
          'assert-p90': { type: 'string' },
          'assert-turn-latency': { type: 'string' },
          json: { type: 'boolean', default: false },
          help: { type: 'boolean', short: 'h' },
        },
      });
      if (values.help) {
        console.log(USAGE);
        return 0;
      }
      const num = (name: string, v: string | undefined) => {
        if (v === undefined) return undefined;
        const n = Number(v);
        if (v.trim() === '' || !Number.isFinite(n) || n < 0)
          throw new UsageError(`--${name} needs a number of milliseconds, got "${v}"`);
        return n;
      };
      const limits = {
        p90Ms: num('assert-p90', values['assert-p90']),
        turnLatencyMs: num('assert-turn-latency', values['assert-turn-latency']),
      };
      if (positionals.length === 0) throw new UsageError('give at least one FILE');
      let report: ReplayReport;
      try {
        report = await replayFiles(positionals, limits);
      } catch (err) {
        console.error(`voxtrace replay: ${err instanceof Error ? err.message : String(err)}`);
        return 2;
      }
      if (values.json) console.log(JSON.stringify(report, null, 2));
      else {
        for (const c of report.conversations) {
          console.log(
            `${c.file}: ${c.id} (${c.platform}, ${c.format}) ${c.turns} turns, worst ${c.worstTurnMs ?? '—'} ms, ${c.outcome}`,
          );
        }
        for (const d of report.diagnostics) console.error(`note ${d}`);
        console.log(
          `P90 turn latency: ${report.p90Ms ?? '—'} ms over ${report.turnLatenciesMs.length} turns`,
        );
        for (const b of report.breaches) console.log(`BREACH ${b}`);
      }
      return report.breaches.length ? 1 : 0;
    }),
};
