/**
 * `npm run demo -- --once --scenario healthy`: every provider on target, so the monitor (the default
 * rules on the demo's compressed clock) opens no incident; and a bad option is refused before anything
 * starts.
 */
import { expect, it } from 'vitest';
import { seconds, startDemo, summaryTable } from './helpers/demo.js';

it('runs healthy calls for 30 s: exit 0, turns within the targets, no incident', async () => {
  const { code, stdout, stderr } = await startDemo(['--scenario', 'healthy', '--duration', '30']).exit;
  expect(stderr).toBe('');
  expect(code).toBe(0);
  expect(stdout).toMatch(/── summary: healthy, 8 concurrent calls/);
  const rows = summaryTable(stdout);
  const whole = rows.find((r) => r[0] === 'whole run')!;
  expect(Number(whole[2])).toBeGreaterThanOrEqual(10);
  expect(seconds(whole[3])).toBeLessThan(1.5); // P50 target
  expect(seconds(whole[4])).toBeLessThan(3.5); // P90 target
  expect(whole[8]).toBe('—'); // no turn with an error
  expect(stdout).toMatch(/\nincidents:\n {2}none\n/);
  expect(stdout).not.toMatch(/━━ incident/);
}, 120_000);

it('refuses a bad option with exit 2, saying what is wrong, and starts nothing', async () => {
  const { code, stdout, stderr } = await startDemo(['--scenario', 'network-storm']).exit;
  expect(code).toBe(2);
  expect(stderr).toMatch(
    /^demo: --scenario must be one of healthy, llm-degradation, stt-outage, tts-errors, got network-storm\n/,
  );
  expect(stderr).toMatch(/Usage: npm run demo -- \[options\]/);
  expect(stdout).toBe('');
});
