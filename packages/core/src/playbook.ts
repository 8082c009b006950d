/**
 * The seed's operational knowledge as data: the failure mode library (seed 000, "Voice Agent Failure
 * Mode Library"), the test cases incidents should become (seed 000, "Converting Production Failures
 * to Test Cases") and what to update after a postmortem. Runbooks and postmortems are rendered from it.
 */
import type { Layer } from './thresholds.js';

/** One failure mode: what the caller and the dashboards see, why, and how to check. */
export interface FailureMode {
  readonly layer: Layer;
  readonly name: string;
  readonly symptoms: string;
  readonly causes: string;
  readonly diagnosis: string;
}

/** Seed 000's failure mode library, by layer (tables "ASR/STT", "LLM/NLU", "TTS", "Dialog Flow"). */
export const FAILURE_MODES: readonly FailureMode[] = [
  // ASR/STT Layer Failures
  {
    layer: 'stt',
    name: 'Transcription errors',
    symptoms: 'Wrong words in transcript, intent misclassification',
    causes: 'Background noise, unsupported accent, low audio bitrate',
    diagnosis: 'Check WER against baseline, compare audio quality metrics',
  },
  {
    layer: 'stt',
    name: 'Complete STT silence',
    symptoms: 'No transcript generated, agent never responds',
    causes: 'API key rotation, provider outage, codec mismatch',
    diagnosis: 'Verify API connectivity, check audio format negotiation',
  },
  {
    layer: 'stt',
    name: 'High latency',
    symptoms: 'Long pauses before agent responds',
    causes: 'Provider rate limiting, large audio chunks, cold starts',
    diagnosis: 'Measure STT processing time per request, check provider metrics',
  },
  {
    layer: 'stt',
    name: 'Truncated transcripts',
    symptoms: 'Partial recognition, cut-off sentences',
    causes: 'VAD endpointing too aggressive, audio stream interruption',
    diagnosis: 'Review VAD settings, check audio buffer continuity',
  },
  // LLM/NLU Layer Failures
  {
    layer: 'llm',
    name: 'Prompt non-compliance',
    symptoms: 'Agent ignores instructions, wrong persona',
    causes: 'Prompt too long for context window, conflicting instructions',
    diagnosis: 'Review prompt token count, test prompt in isolation',
  },
  {
    layer: 'llm',
    name: 'Hallucinations',
    symptoms: 'Fabricated information, non-existent options',
    causes: 'Missing context grounding, overly creative temperature',
    diagnosis: 'Check grounding sources, review temperature settings',
  },
  {
    layer: 'llm',
    name: 'Intent misclassification',
    symptoms: 'Correct transcript, wrong action',
    causes: 'Ambiguous utterance, insufficient training examples',
    diagnosis: 'Compare transcript against intent labels, review edge cases',
  },
  {
    layer: 'tool',
    name: 'Tool call failures',
    symptoms: 'Agent describes action but does not execute',
    causes: 'Function schema mismatch, parameter validation failure',
    diagnosis: 'Check tool call logs, validate function schemas',
  },
  {
    layer: 'llm',
    name: 'Rate limiting',
    symptoms: 'Intermittent slow responses, 429 errors',
    causes: 'Traffic spike, insufficient API quota',
    diagnosis: 'Check provider rate limit headers, review usage patterns',
  },
  // TTS Output Failures
  {
    layer: 'tts',
    name: 'Unnatural prosody',
    symptoms: 'Robotic or stilted speech patterns',
    causes: 'Wrong voice model, SSML rendering issues',
    diagnosis: 'Compare against reference audio, check voice model configuration',
  },
  {
    layer: 'tts',
    name: 'Mispronunciations',
    symptoms: 'Names, acronyms, or domain terms mangled',
    causes: 'Missing pronunciation dictionary entries',
    diagnosis: 'Review custom lexicon coverage, test specific terms',
  },
  {
    layer: 'tts',
    name: 'Audio artifacts',
    symptoms: 'Clicks, pops, distortion in agent speech',
    causes: 'Encoding mismatch, buffer underrun, sample rate conversion',
    diagnosis: 'Check audio encoding chain, verify sample rate consistency',
  },
  {
    layer: 'tts',
    name: 'Complete TTS failure',
    symptoms: 'Agent generates response but no audio',
    causes: 'API key rotation, provider outage, audio routing failure',
    diagnosis: 'Verify TTS API connectivity, check audio output pipeline',
  },
  // Dialog Flow and Conversation Logic Failures
  {
    layer: 'dialog',
    name: 'Conversational loops',
    symptoms: 'Agent repeats same question or response',
    causes: 'Missing state tracking, prompt logic error',
    diagnosis: 'Review conversation history injection, check for circular flows',
  },
  {
    layer: 'turn_detection',
    name: 'Excessive interruptions',
    symptoms: 'Agent talks over user, fails to yield',
    causes: 'VAD thresholds too low, barge-in handling misconfigured',
    diagnosis: 'Review turn detection settings, check interruption handling',
  },
  {
    layer: 'turn_detection',
    name: 'Poor turn-taking',
    symptoms: 'Awkward pauses, overlapping speech',
    causes: 'Endpointing timeout too high or too low',
    diagnosis: 'Tune VAD silence threshold, review turn detection latency',
  },
  {
    layer: 'dialog',
    name: 'Context loss',
    symptoms: 'Agent forgets earlier conversation context',
    causes: 'Context window overflow, history truncation',
    diagnosis: 'Check token counts, verify conversation history management',
  },
];

/**
 * Seed 000's layer notes: "60% of 'the agent doesn't understand me' reports trace back to ASR-layer
 * issues"; LLM failures "occur at 3-10x higher rates than in text systems"; latency "is the most common
 * SEV-2 trigger"; and the SEV-1 "Diagnose by layer" question for each layer.
 */
export const LAYER_NOTES: Readonly<Partial<Record<Layer, { question: string; insight?: string }>>> = {
  telephony: { question: 'Are calls connecting? Check SIP registration, trunk status' },
  stt: {
    question: 'Are transcripts being generated? Check STT latency and confidence',
    insight:
      '60% of "the agent doesn\'t understand me" reports trace back to ASR-layer issues, not LLM problems. Always check transcription quality before investigating LLM behavior.',
  },
  llm: {
    question: 'Are responses being generated? Check TTFT, error rates, rate limits',
    insight:
      'LLM failures in voice agents occur at 3-10x higher rates than in text systems due to noisy ASR input, real-time latency pressure, and the absence of user correction signals.',
  },
  tts: { question: 'Is audio being synthesized? Check TTS latency and output quality' },
  network: {
    question: 'Is the time outside the components growing? Check transport, regions and connection pools',
    insight:
      'Latency is the most common SEV-2 trigger for voice agents. Measure each component independently: a single bottleneck usually accounts for 60-70% of total latency.',
  },
};

/** Seed 000, "Test case categories from incidents": how each incident type becomes a regression test. */
export const INCIDENT_TEST_CASES = [
  { incident: 'ASR failure for specific accent', approach: 'Add accent-specific audio samples to test set' },
  { incident: 'LLM misclassification', approach: 'Add the misclassified utterance to intent test suite' },
  { incident: 'Latency spike from long context', approach: 'Add context window size validation test' },
  {
    incident: 'Tool call failure',
    approach: 'Add integration test for the specific tool with edge case inputs',
  },
  { incident: 'Dialog loop', approach: 'Add multi-turn test that detects repetitive agent responses' },
] as const;

/** Seed 000, "Updating Runbooks and Monitoring": what to revisit after every SEV-1 or SEV-2 postmortem. */
export const POSTMORTEM_UPDATES = [
  'Severity criteria — Did this incident reveal a gap in SEV classification?',
  'Failure mode library — Add new failure modes discovered during diagnosis',
  'Alert thresholds — Adjust based on actual impact data from the incident',
  'Response checklists — Add steps that would have accelerated diagnosis',
  'Communication templates — Refine based on what worked during stakeholder communication',
] as const;
