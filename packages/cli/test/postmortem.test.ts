/**
 * `voxtrace postmortem`: an incident reported by a real monitor (simulated traffic: a slow LLM for
 * eight minutes, then recovery) saved as JSON, turned into the seed's postmortem and the three
 * communication messages; broken incident files are refused with exit 2.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  type Incident,
  POSTMORTEM_UPDATES,
  renderInternalUpdate,
  renderResolution,
  renderStakeholderUpdate,
} from '@voxtrace/core';
import { parseIncident } from '@voxtrace/cli';
import { beforeAll, describe, expect, it } from 'vitest';
import { runFleet } from './helpers/fleet-traffic.js';
import { CLI, ensureBuilt } from '../../../test/helpers/built.js';

// These tests run the built packages as users do (`npm test` builds first; a lone file builds if stale).
beforeAll(ensureBuilt, 600_000);

const exec = promisify(execFile);

async function voxtrace(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [CLI, ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let dir: string;
let incident: Incident;
let doc: string;
beforeAll(async () => {
  const perMinute = { callsPerMinute: 30, turnsPerCall: 4 };
  const run = await runFleet(
    [
      { fromMin: 0, toMin: 6, ...perMinute },
      { fromMin: 6, toMin: 14, ...perMinute, turn: () => ({ ttftMs: 6000, sigma: 0.1 }) },
      { fromMin: 14, toMin: 26, ...perMinute },
    ],
    26,
  );
  incident = run.incidents.at(-1)!;
  dir = await mkdtemp(join(tmpdir(), 'voxtrace-postmortem-'));
  await writeFile(join(dir, 'incident.json'), JSON.stringify(incident, null, 2));
  const r = await voxtrace(
    'postmortem',
    join(dir, 'incident.json'),
    '--out',
    join(dir, 'postmortem.md'),
    '--commander',
    'Dana Reyes',
    '--participant',
    'Sam',
    '--participant',
    'Ola',
    '--root-cause',
    'A prompt change removed history truncation',
    '--fix',
    'Rolled back the prompt',
  );
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  doc = await readFile(join(dir, 'postmortem.md'), 'utf8');
}, 60_000);

describe('voxtrace postmortem', () => {
  it('starts from a real, resolved SEV-2 incident', () => {
    expect(incident.status).toBe('resolved');
    expect(incident.peakSeverity).toBe('SEV-2');
    expect(incident.layer).toBe('llm');
    expect(incident.figures.callsAffected).toBeGreaterThan(100);
    expect(parseIncident(JSON.stringify(incident))).toEqual(incident);
  });

  it("fills the seed's overview with the incident's times, severity and people", () => {
    const opened = new Date(incident.openedAt).toISOString();
    const resolved = new Date(incident.resolvedAt!).toISOString();
    expect(doc).toMatch(
      /^# Voice Agent Incident Postmortem\n\n\*\*Title:\*\* Turn latency P90 up to \d+\.\d s \(threshold > 7\.0 s\), LLM\n/,
    );
    expect(doc).toContain(`**Date:** ${opened.slice(0, 10)}\n`);
    expect(doc).toContain(
      `**Duration:** ${opened.slice(0, 10)} ${opened.slice(11, 16)} UTC - ${resolved.slice(0, 10)} ${resolved.slice(11, 16)} UTC (`,
    );
    expect(doc).toContain('**Severity:** SEV-2 (SEV-3 at the end)');
    expect(doc).toContain('**Incident Commander:** Dana Reyes\n**Participants:** Sam, Ola\n');
    expect(doc).toContain(
      'Root cause: A prompt change removed history truncation. Resolved by: Rolled back the prompt.',
    );
  });

  it('puts the measured figures in the impact table and every rule that fired below it', () => {
    const f = incident.figures;
    const s = (ms: number) => `${+(ms / 1000).toFixed(2)} s`;
    expect(doc).toContain(
      `| Calls impacted | ${f.callsAffected} calls (${f.turns} turns) during the incident window |`,
    );
    expect(doc).toContain(`| Failed calls | ${f.failedCalls} failed or abandoned |`);
    expect(doc).toContain(
      `| Latency degradation | P90 ${s(f.p90Ms!)} during the incident vs target P90 3.5 s; highest 5-minute P90 ${s(f.peakWindowP90Ms!)} |`,
    );
    expect(doc).toContain('| Revenue impact | {Estimated revenue loss if applicable} |');
    for (const t of incident.triggers) expect(doc).toContain(`| ${t.rule} | ${t.label} | ${t.severity} |`);
    expect(doc).toMatch(
      /\| p90-latency-7s \| turn latency P90 \| SEV-2 \| LLM \| \d+\.\d+ s \| > 7 s \| cleared \|/,
    );
  });

  it("gives the incident's own timeline in UTC, in order, plus the milestones only people know", () => {
    const section = doc.slice(doc.indexOf('## Timeline of Events'), doc.indexOf('## Root Cause Analysis'));
    const lines = section.split('\n').filter((l) => l.startsWith('- '));
    expect(lines.length).toBe(incident.timeline.length + 3);
    incident.timeline.forEach((e, i) => {
      expect(lines[i]).toContain(`${new Date(e.at).toISOString().slice(11, 16)} UTC — `);
    });
    expect(lines[0]).toMatch(/First anomalous metric detected by the voxtrace monitor: /);
    expect(section).toMatch(/Alert triggered, severity classified as SEV-3: /);
    expect(section).toMatch(/Incident resolved, monitoring confirmed recovery: Resolved after 300 s clear/);
    expect(section).toContain('- {HH:MM UTC} — On-call engineer acknowledged');
    expect(section).toContain('- {HH:MM UTC} — Mitigation applied: Rolled back the prompt');
  });

  it('scaffolds five whys, action items by mitigation / prevention / detection, lessons and the updates', () => {
    const whys = doc.slice(doc.indexOf('## Root Cause Analysis'), doc.indexOf('## Action Items'));
    expect(whys.match(/^- Why /gm)).toHaveLength(5);
    expect(whys).toMatch(/→ LLM time to first token P90 reached \d+(\.\d+)? s \(threshold > 400 ms\)/);
    const actions = doc.slice(doc.indexOf('## Action Items'), doc.indexOf('## Lessons Learned'));
    expect(actions).toMatch(
      /### Mitigation[\s\S]*- \[x\] Rolled back the prompt — Owner: \{Name\} — Done: \d{4}-\d{2}-\d{2}/,
    );
    expect(actions).toMatch(/### Prevention[\s\S]*voxtrace replay fixtures\/\*\.json --assert-p90 3500/);
    expect(actions).toContain('Latency spike from long context: Add context window size validation test');
    expect(actions).toMatch(/### Detection[\s\S]*before the incident opened/);
    expect(doc).toContain(
      '4. {Takeaway about communication}: Did stakeholders get the right info at the right time?',
    );
    for (const u of POSTMORTEM_UPDATES) expect(doc).toContain(`- [ ] ${u}`);
  });

  it('renders the three communication templates from the same incident, as core renders them', () => {
    expect(doc).toContain(`### Internal update\n\n\`\`\`text\n${renderInternalUpdate(incident)}\n\`\`\``);
    expect(doc).toContain(`\`\`\`text\n${renderStakeholderUpdate(incident)}\n\`\`\``);
    expect(doc).toContain(
      `\`\`\`text\n${renderResolution(incident, { rootCause: 'A prompt change removed history truncation', fixApplied: 'Rolled back the prompt' })}\n\`\`\``,
    );
    expect(doc).toContain('Root cause: A prompt change removed history truncation');
  });

  it('writes to stdout without --out; an open incident gets no resolution message', async () => {
    const open = { ...incident, status: 'identified', resolvedAt: null };
    await writeFile(join(dir, 'open.json'), JSON.stringify(open));
    const r = await voxtrace('postmortem', join(dir, 'open.json'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\*\*Duration:\*\* .* - ongoing \(last update/);
    expect(r.stdout).toContain('Not resolved yet (status identified): no resolution message.');
    expect(r.stdout).toContain('{Root cause, in one sentence}. {How it was resolved}.');
  });

  it('refuses what is not an incident, saying what is wrong, with exit 2', async () => {
    await writeFile(join(dir, 'broken.json'), '{"id": "inc-1", ');
    const broken = await voxtrace('postmortem', join(dir, 'broken.json'));
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/broken\.json: not JSON/);

    const { figures, ...rest } = incident;
    await writeFile(
      join(dir, 'wrong.json'),
      JSON.stringify({ ...rest, severity: 'SEV-4', figures: { ...figures, turns: -1 } }),
    );
    const wrong = await voxtrace('postmortem', join(dir, 'wrong.json'));
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/not a voxtrace incident/);
    expect(wrong.stderr).toMatch(/ {2}severity: /);
    expect(wrong.stderr).toMatch(/ {2}figures\.turns: /);

    expect((await voxtrace('postmortem', join(dir, 'missing.json'))).code).toBe(2);
    expect((await voxtrace('postmortem')).code).toBe(2);
  });
});
