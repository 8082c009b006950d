// @ts-check
/**
 * One simulated phone call: a real LiveKit `AgentSession` (VAD turn detection, endpointing, the
 * session's scheduling, metrics and events are LiveKit's) with fake providers from
 * `examples/livekit/fakes.mjs`, instrumented by `@voxtrace/livekit`, and a caller who behaves like one:
 * waits for the agent to finish, thinks, speaks a line of a script, is patient while the agent is
 * thinking, repeats themself when nothing happens, and hangs up at the end (or gives up).
 */
import { Agent, AgentSession, AgentSessionEventTypes, llm } from '@livekit/agents';
import { instrumentAgentSession } from '@voxtrace/livekit';
import { z } from 'zod';
import {
  ChunkedFakeTTS,
  EnergyVAD,
  ListeningSTT,
  RealtimeAudioOutput,
  ScriptedAudioInput,
  UsageLLM,
} from '../livekit/fakes.mjs';

/** @typedef {import('@voxtrace/core').Voxtrace} Voxtrace */
/** @typedef {import('./scenarios.mjs').Providers} Providers */
/** @typedef {keyof typeof TOOLS} ToolName */

/**
 * A line the caller says, what the agent answers, and the tool the agent calls first, if any.
 * @typedef {{ say: string, reply: string, tool?: { name: ToolName, args: Record<string, unknown> } }} Line
 * @typedef {{ topic: string, greeting: string, lines: Line[] }} Script
 */

/** The agent's tools: what they answer (after the latency the scenario draws). */
const TOOLS = {
  check_availability: {
    description: 'Free tables or appointment slots on a day',
    parameters: z.object({ day: z.string(), people: z.number().optional() }),
    result: { slots: ['19:00', '20:30'] },
  },
  book: {
    description: 'Books a slot under a name',
    parameters: z.object({ slot: z.string(), name: z.string() }),
    result: { confirmation: 'BK-4821' },
  },
  find_booking: {
    description: "Finds the caller's booking",
    parameters: z.object({ day: z.string() }),
    result: { booking: 'Friday 10:00, cleaning' },
  },
  track_order: {
    description: 'Where an order is',
    parameters: z.object({ order: z.string() }),
    result: { status: 'out for delivery', eta: 'today 18:00' },
  },
};

/**
 * The calls, taken in turn. Replies are short, as a voice agent's should be, and open with a sentence
 * of 20 characters or more: LiveKit's sentence tokenizer hands the TTS a first sentence as soon as the
 * next one starts, whereas a single short sentence waits for the end of the LLM's generation.
 */
export const SCRIPTS = /** @type {Script[]} */ ([
  {
    topic: 'table booking',
    greeting: 'Bella Vista, how can I help?',
    lines: [
      {
        say: 'Hi, a table for tonight please',
        reply: 'We have seven or eight thirty tonight. Which one suits you?',
        tool: { name: 'check_availability', args: { day: 'today' } },
      },
      { say: 'Eight thirty, four people', reply: 'Lovely, a table for four. Under which name, please?' },
      {
        say: 'Martin',
        reply: 'You are booked for eight thirty, Martin. See you tonight!',
        tool: { name: 'book', args: { slot: '20:30', name: 'Martin' } },
      },
      { say: 'Great, thanks, bye', reply: 'Thank you for calling Bella Vista. Enjoy your evening!' },
    ],
  },
  {
    topic: 'dentist appointment',
    greeting: 'Smile Dental, how can I help?',
    lines: [
      {
        say: 'I need to move my Friday appointment',
        reply: 'I see your cleaning on Friday at ten. When would suit you instead?',
        tool: { name: 'find_booking', args: { day: 'Friday' } },
      },
      {
        say: 'Monday morning if you can',
        reply: 'Monday at nine is free this week. Shall I move it?',
        tool: { name: 'check_availability', args: { day: 'Monday' } },
      },
      { say: 'Yes please', reply: 'Done, your appointment is on Monday at nine. You will get a text.' },
      { say: 'Thank you', reply: 'You are very welcome, take care. Goodbye!' },
    ],
  },
  {
    topic: 'order status',
    greeting: 'Hi, this is Parcel Express.',
    lines: [
      {
        say: 'Where is my order, it is late',
        reply: 'Your parcel is out for delivery today. It arrives before six.',
        tool: { name: 'track_order', args: { order: 'A-1042' } },
      },
      {
        say: 'Can you change the address',
        reply: 'I am sorry, not once it is on the van. You can collect it tomorrow.',
      },
      { say: 'Okay, thanks anyway', reply: 'Sorry again for the delay, and thanks. Goodbye!' },
    ],
  },
]);

/** What a caller says when the agent does not answer; then they hang up. */
const NUDGES = ['Hello? Are you there?'];
/** Speaking rates: the caller's words, and the agent's characters of TTS audio. */
const CALLER_MS_PER_WORD = 280;
const AGENT_MS_PER_CHAR = 55;
/** How long a caller waits for the agent to do anything before speaking again. */
const PATIENCE_MS = 4000;
/** How long a caller waits while the agent is thinking, at most. */
const THINKING_PATIENCE_MS = 20_000;
const POLL_MS = 100;

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * How a call ended: the script done, the caller gave up on a silent agent, the demo ended it,
 * LiveKit closed the session (an unrecoverable error), or the call could not run (an exception).
 * @typedef {'completed' | 'gave_up' | 'hung_up' | 'session_closed' | 'failed'} CallEnding
 */

/**
 * @typedef {object} CallOptions
 * @property {string} id Conversation id.
 * @property {Script} script
 * @property {Providers} providers
 * @property {Voxtrace} vt
 * @property {() => number} random
 * @property {AbortSignal} stop Aborted when the demo ends: the caller hangs up.
 */

/**
 * Runs one call to its end. Never rejects: a session that fails ends the call, and the reason is
 * returned.
 * @param {CallOptions} options
 * @returns {Promise<{ ending: CallEnding, linesAnswered: number, error?: string }>}
 */
export async function runCall({ id, script, providers, vt, random, stop }) {
  /** Lines the caller said, in order, for the STT to hear. */
  const spoken = /** @type {string[]} */ ([]);
  const mic = new ScriptedAudioInput();
  const session = new AgentSession({
    stt: new ListeningSTT(() => {
      const transcript = spoken.shift();
      const delayMs = providers.sttDelayMs();
      return transcript === undefined || delayMs === null ? null : { transcript, delayMs };
    }),
    vad: new EnergyVAD(),
    llm: new UsageLLM(agentReplies(script, providers)),
    tts: new ChunkedFakeTTS({
      ttfbMs: providers.ttsTtfbMs,
      msPerChar: AGENT_MS_PER_CHAR,
      fail: providers.ttsFailure,
    }),
    turnHandling: { turnDetection: 'vad', endpointing: { minDelay: 300, maxDelay: 1500 } },
    // No echo to cancel in a simulated line; no caller walks away mid-call.
    aecWarmupDuration: null,
    userAwayTimeout: null,
    // Speech nobody transcribed is reported (`user_transcription_timeout`, an STT error in voxtrace).
    transcriptionTimeout: 2000,
    connOptions: { ttsConnOptions: { maxRetry: 1, retryIntervalMs: 300, timeoutMs: 10_000 } },
  });
  session.input.audio = mic;
  session.output.audio = new RealtimeAudioOutput();

  let ending = /** @type {CallEnding} */ ('hung_up');
  let linesAnswered = 0;
  /** @type {string | undefined} */
  let error;
  let closed = false;
  session.on(AgentSessionEventTypes.Close, (ev) => {
    closed = true;
    const e = ev.error;
    // The component errors wrap their cause; an interruption-detection error is the cause itself.
    if (e) error = `${e.type}: ${messageOf('error' in e ? e.error : e)}`;
  });
  instrumentAgentSession(session, vt, {
    conversationId: id,
    attributes: { 'demo.topic': script.topic },
    // What only the application knows: whether the caller got what they called for.
    onClose: () => {
      if (ending === 'completed') return { taskCompleted: true };
      if (ending === 'gave_up') return { outcome: 'abandoned', taskCompleted: false };
      return undefined;
    },
  });

  const over = () => closed || stop.aborted;
  /** Resolves once `done()` holds, the call is over, or `maxMs` passed; says whether `done()` held. */
  const until = async (/** @type {() => boolean} */ done, /** @type {number} */ maxMs) => {
    const deadline = Date.now() + maxMs;
    while (!done() && !over() && Date.now() < deadline) await sleep(POLL_MS);
    return done();
  };
  const agentSilent = () => session.agentState !== 'speaking';

  /** Waits for the agent to start answering: patient while it thinks, not while it does nothing. */
  const answered = async () => {
    let idleSince = Date.now();
    const giveUpAt = Date.now() + THINKING_PATIENCE_MS;
    while (!over() && Date.now() < giveUpAt) {
      const state = session.agentState;
      if (state === 'speaking') return true;
      if (state === 'thinking') idleSince = Date.now();
      else if (Date.now() - idleSince >= PATIENCE_MS) return false;
      await sleep(POLL_MS);
    }
    return false;
  };

  try {
    await session.start({
      agent: new Agent({ instructions: 'A concise phone agent.', tools: agentTools(providers) }),
    });
    mic.start();
    session.say(script.greeting);
    await until(() => session.agentState === 'speaking', 3000);
    await until(agentSilent, 15_000);
    for (const line of script.lines) {
      let heard = false;
      for (const words of [line.say, ...NUDGES]) {
        await sleep(400 + random() * 700); // the caller thinks
        if (over()) break;
        spoken.push(words);
        await mic.say(words.split(/\s+/).length * CALLER_MS_PER_WORD + 200 * random());
        heard = await answered();
        if (heard || over()) break;
      }
      if (over()) break;
      if (!heard) {
        ending = 'gave_up';
        break;
      }
      linesAnswered++;
      await until(agentSilent, 30_000);
    }
    if (!over() && ending !== 'gave_up') ending = 'completed';
  } catch (err) {
    ending = 'failed';
    error ??= messageOf(err);
  } finally {
    if (closed && ending !== 'gave_up' && ending !== 'failed' && !stop.aborted) ending = 'session_closed';
    await session.close().catch(() => undefined);
    await mic.stop().catch(() => undefined);
  }
  return { ending, linesAnswered, ...(error === undefined ? {} : { error }) };
}

/**
 * The agent's side of the script: a scripted LLM with the scenario's timing. A line with a tool is
 * answered in two LLM calls around the tool (as a real function-calling model does); a nudge gets the
 * last answer again.
 * @param {Script} script
 * @param {Providers} providers
 * @returns {import('../livekit/fakes.mjs').ReplyFor}
 */
function agentReplies(script, providers) {
  const byLine = new Map(script.lines.map((l) => [l.say, l]));
  /** @type {Line | undefined} */
  let awaitingTool;
  let last = script.greeting;
  let promptTokens = 150;
  /**
   * A reply with the scenario's timing; `generation` scales the time after the first token.
   * @param {string} input
   * @param {{ content: string } | { toolCalls: { name: string, args: Record<string, unknown> }[] }} output
   * @param {number} generation
   */
  const reply = (input, output, generation) => {
    const ttftMs = providers.llmTtftMs();
    const completionTokens = Math.ceil(JSON.stringify(output).length / 4);
    promptTokens += 40 + completionTokens;
    return {
      input,
      ...output,
      ttftMs,
      durationMs: ttftMs + generation * providers.llmGenerationMs(),
      promptTokens,
      completionTokens,
    };
  };
  return ({ kind, text }) => {
    if (kind === 'tool_output') {
      const line = awaitingTool;
      awaitingTool = undefined;
      if (!line) return undefined;
      last = line.reply;
      return reply(text, { content: line.reply }, 1);
    }
    const line = byLine.get(text);
    if (line?.tool) {
      awaitingTool = line;
      // A function call is a few tokens: its generation is short.
      return reply(text, { toolCalls: [{ name: line.tool.name, args: line.tool.args }] }, 0.3);
    }
    if (line) last = line.reply;
    return reply(text, { content: line ? line.reply : `Sorry, I said: ${last}` }, 1);
  };
}

/** @param {Providers} providers */
function agentTools(providers) {
  return Object.fromEntries(
    Object.entries(TOOLS).map(([name, t]) => [
      name,
      llm.tool({
        description: t.description,
        parameters: t.parameters,
        execute: async () => {
          await sleep(providers.toolMs());
          return JSON.stringify(t.result);
        },
      }),
    ]),
  );
}

/** @param {unknown} err */
function messageOf(err) {
  return err instanceof Error ? err.message : String(err);
}
