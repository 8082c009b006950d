/**
 * `voxtrace replay FILE… [--assert-p90 MS] [--assert-turn-latency MS] [--json]`: runs regression
 * fixtures through the pipeline and exits 1 when a turn or the P90 breaches the limits (for CI), 2 on
 * unusable input.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { type ConversationRecord, parseFixture, replayFixture } from '@voxtrace/core';
import { percentiles } from '../dev/latency.js';
import type { Command } from './index.js';

/** What a replay found. */
export interface ReplayReport {
  conversations: { file: string; id: string; turns: number; worstTurnMs: number | null; outcome: string }[];
  turnLatenciesMs: number[];
  p90Ms: number | null;
  breaches: string[];
}

/** Replays fixture files and checks them against the limits. */
export async function replayFiles(
  files: readonly string[],
  limits: { p90Ms?: number; turnLatencyMs?: number } = {},
): Promise<ReplayReport> {
  const report: ReplayReport = { conversations: [], turnLatenciesMs: [], p90Ms: null, breaches: [] };
  for (const file of files) {
    const record: ConversationRecord = replayFixture(parseFixture(await readFile(file, 'utf8')));
    const latencies = record.turns.map((t) => t.e2eLatencyMs).filter((v): v is number => v !== null);
    report.turnLatenciesMs.push(...latencies);
    report.conversations.push({
      file,
      id: record.id,
      turns: record.turnCount,
      worstTurnMs: latencies.length ? Math.max(...latencies) : null,
      outcome: record.outcome,
    });
    if (limits.turnLatencyMs !== undefined) {
      for (const t of record.turns) {
        if (t.e2eLatencyMs !== null && t.e2eLatencyMs > limits.turnLatencyMs) {
          const cause = t.bottleneck ? ` (bottleneck ${t.bottleneck.component})` : '';
          report.breaches.push(
            `${file}: turn ${t.index} took ${t.e2eLatencyMs} ms > ${limits.turnLatencyMs} ms${cause}`,
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

export const replay: Command = {
  summary:
    'replay regression fixtures; exit 1 on a latency breach (--assert-p90 MS, --assert-turn-latency MS)',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        'assert-p90': { type: 'string' },
        'assert-turn-latency': { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    });
    const num = (name: string, v: string | undefined) => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0)
        throw new Error(`--${name} needs a number of milliseconds, got "${v}"`);
      return n;
    };
    if (positionals.length === 0) {
      console.error('usage: voxtrace replay FILE… [--assert-p90 MS] [--assert-turn-latency MS] [--json]');
      return 2;
    }
    let report: ReplayReport;
    try {
      report = await replayFiles(positionals, {
        p90Ms: num('assert-p90', values['assert-p90']),
        turnLatencyMs: num('assert-turn-latency', values['assert-turn-latency']),
      });
    } catch (err) {
      console.error(`voxtrace replay: ${err instanceof Error ? err.message : String(err)}`);
      return 2;
    }
    if (values.json) console.log(JSON.stringify(report, null, 2));
    else {
      for (const c of report.conversations) {
        console.log(`${c.file}: ${c.id} ${c.turns} turns, worst ${c.worstTurnMs ?? '—'} ms, ${c.outcome}`);
      }
      console.log(`P90 turn latency: ${report.p90Ms ?? '—'} ms over ${report.turnLatenciesMs.length} turns`);
      for (const b of report.breaches) console.log(`BREACH ${b}`);
    }
    return report.breaches.length ? 1 : 0;
  },
};
