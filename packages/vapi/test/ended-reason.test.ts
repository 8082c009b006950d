import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { outcomeSchema } from '@voxtrace/core';
import { classifyEndedReason, ENDED_REASON_FAMILIES } from '@voxtrace/vapi';
import { describe, expect, it } from 'vitest';
import { endedReasons, repoRoot } from './helpers.js';

const values = endedReasons();

describe('endedReason → outcome and layer', () => {
  it('has the 597 documented values to check', () => {
    expect(values).toHaveLength(597);
    expect(new Set(values).size).toBe(597);
  });

  it('maps every one of the 597 values to a defined outcome, through a named family', () => {
    for (const v of values) {
      const c = classifyEndedReason(v);
      expect(outcomeSchema.safeParse(c.outcome).success, v).toBe(true);
      expect(c.family.startsWith('unknown'), `${v} fell through to ${c.family}`).toBe(false);
      // An error always names its layer; a non-error never does.
      expect(c.layer !== null, v).toBe(c.outcome === 'error');
    }
  });

  it('uses every family of the table', () => {
    const used = new Set(values.map((v) => classifyEndedReason(v).family));
    expect([...used].sort()).toEqual(ENDED_REASON_FAMILIES.map((f) => f.family).sort());
  });

  it('puts each provider failure on its pipeline layer', () => {
    const layer = (v: string) => classifyEndedReason(v).layer;
    for (const v of values) {
      if (/transcriber|deepgram-returning|assembly-ai/.test(v)) expect(layer(v), v).toBe('stt');
      else if (/-voice-(failed|not-found|request-canceled)|eleven-labs|playht|cartesia|tavus/.test(v))
        expect(layer(v), v).toBe('tts');
      else if (/-llm-failed$|-(400|401|403|429|500|503)-(?!forbidden)/.test(v) && !/sip/.test(v))
        expect(layer(v), v).toBe('llm');
      else if (/outbound-sip|transport|worker/.test(v)) expect(layer(v), v).toBe('telephony');
    }
    expect(layer('pipeline-error-anthropic-429-exceeded-quota')).toBe('llm');
    expect(layer('call.in-progress.error-vapifault-eleven-labs-quota-exceeded')).toBe('tts');
    expect(layer('call.in-progress.error-providerfault-deepgram-returning-502-network-error')).toBe('stt');
    expect(layer('call.in-progress.error-providerfault-outbound-sip-408-request-timeout')).toBe('telephony');
    expect(layer('assistant-request-returned-error')).toBe('dialog');
    expect(layer('exceeded-max-duration')).toBe('dialog');
  });

  it('names who was at fault when the value says', () => {
    expect(classifyEndedReason('call.in-progress.error-vapifault-worker-died').fault).toBe('vapi');
    expect(classifyEndedReason('call.in-progress.error-providerfault-groq-500-server-error').fault).toBe(
      'provider',
    );
    expect(classifyEndedReason('call.in-progress.error-configfault-model-unsupported-in-squad').fault).toBe(
      'config',
    );
    expect(classifyEndedReason('customer-ended-call').fault).toBeNull();
  });

  it('maps the business outcomes', () => {
    const outcome = (v: string) => classifyEndedReason(v).outcome;
    expect(outcome('customer-ended-call')).toBe('completed');
    expect(outcome('assistant-said-end-call-phrase')).toBe('completed');
    expect(outcome('assistant-forwarded-call')).toBe('transferred');
    expect(outcome('voicemail')).toBe('voicemail');
    expect(outcome('customer-busy')).toBe('unanswered');
    expect(outcome('silence-timed-out')).toBe('abandoned');
    expect(outcome('customer-ended-call-during-transfer')).toBe('abandoned');
    expect(outcome('call.forwarding.operator-busy')).toBe('error');
  });

  it('classifies values added after the table by their words', () => {
    expect(classifyEndedReason('pipeline-error-newvendor-voice-failed')).toMatchObject({
      outcome: 'error',
      layer: 'tts',
    });
    expect(classifyEndedReason('call.in-progress.error-vapifault-newthing')).toMatchObject({
      outcome: 'error',
      family: 'in-call-fault',
    });
    expect(classifyEndedReason('some-new-failure-mode-failed')).toMatchObject({
      outcome: 'error',
      layer: 'telephony',
      family: 'unknown-error',
    });
    expect(classifyEndedReason('customer-waved-goodbye')).toMatchObject({
      outcome: 'completed',
      family: 'unknown',
    });
  });

  it('documents every family in the README table', () => {
    const readme = readFileSync(resolve(repoRoot, 'packages/vapi/README.md'), 'utf8');
    const rows = new Set([...readme.matchAll(/^\| `([a-z-]+)` +\|/gm)].map((m) => m[1]));
    for (const f of ENDED_REASON_FAMILIES) expect(rows.has(f.family), f.family).toBe(true);
  });
});
