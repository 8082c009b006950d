// A LiveKit Agents (Node) voice agent traced by voxtrace.
//
//   node examples/livekit/agent.mjs dev      a real worker: LiveKit server + Deepgram, OpenAI, Silero plugins
//   node examples/livekit/agent.mjs --fake   no server, no keys: a real AgentSession driven by text, with
//                                            LiveKit's FakeLLM (runs anywhere `npm ci` ran)
//
// Both modes share one tracer provider with LiveKit's telemetry, so LiveKit's spans (agent_session,
// llm_node, …) and voxtrace's (conversation → turn → stt/llm/tool_call/tts) reach the same OTLP endpoint:
// set OTEL_EXPORTER_OTLP_ENDPOINT (e.g. http://localhost:4318). Without it nothing is exported and the
// fake mode prints each turn instead.
import { fileURLToPath } from 'node:url';
import {
  Agent,
  AgentSession,
  cli,
  defineAgent,
  initializeLogger,
  llm,
  ServerOptions,
  telemetry,
  voice,
} from '@livekit/agents';
import { createVoxtraceForLiveKit, instrumentAgentSession } from '@voxtrace/livekit';
import { z } from 'zod';

/** The agent: one tool, so traces show a tool_call span. */
function createAgent() {
  return new Agent({
    instructions: 'You are a helpful voice assistant. Keep answers short.',
    tools: {
      getWeather: llm.tool({
        description: 'Current weather in a city',
        parameters: z.object({ city: z.string() }),
        execute: async ({ city }) => `sunny and 21C in ${city}`,
      }),
    },
  });
}

/** One voxtrace per process (LiveKit runs each job in its own process), sharing LiveKit's provider. */
function createTracing() {
  return createVoxtraceForLiveKit({
    serviceName: 'livekit-example-agent',
    livekit: { telemetry },
    onDiagnostic: (d) => console.error(`[voxtrace] ${d.code}: ${d.message}`),
  });
}

export default defineAgent({
  prewarm: async (proc) => {
    const silero = await import('@livekit/agents-plugin-silero');
    proc.userData.vad = await silero.VAD.load();
  },
  entry: async (ctx) => {
    // Real plugins, loaded here so that `--fake` does not need them installed.
    const [deepgram, openai] = await Promise.all([
      import('@livekit/agents-plugin-deepgram'),
      import('@livekit/agents-plugin-openai'),
    ]);
    const vt = createTracing();
    const session = new AgentSession({
      vad: ctx.proc.userData.vad,
      stt: new deepgram.STT({ model: 'nova-3' }),
      llm: new openai.LLM({ model: 'gpt-4o-mini' }),
      tts: new openai.TTS({ voice: 'alloy' }),
    });
    // Before start(), so the whole call is traced; the room sid names the conversation.
    instrumentAgentSession(session, vt, { jobContext: ctx });
    ctx.addShutdownCallback(() => vt.shutdown());
    await session.start({ agent: createAgent(), room: ctx.room });
    await ctx.connect();
    session.generateReply({ instructions: 'Greet the caller and offer your help.' });
  },
});

/** `--fake`: the same wiring around a real AgentSession, with LiveKit's FakeLLM and typed turns. */
async function runFake() {
  initializeLogger({ pretty: false, level: 'error' });
  const vt = createTracing();
  vt.on('turn', (t) =>
    console.log(
      `turn ${t.index} (${t.initiator}): llm calls ${t.llm.length}, tools ${t.tools.map((c) => `${c.name} ${c.durationMs} ms`).join(', ') || 'none'}`,
    ),
  );
  vt.on('conversation', (c) =>
    console.log(`conversation ${c.id}: ${c.turnCount} turns, outcome ${c.outcome}, trace ${c.traceId}`),
  );
  const session = new AgentSession({
    llm: new voice.testing.FakeLLM([
      { input: 'hello', content: 'Hi! How can I help?', ttft: 120, duration: 250 },
      { input: 'weather in Paris?', toolCalls: [{ name: 'getWeather', args: { city: 'Paris' } }] },
      {
        input: '"sunny and 21C in Paris"',
        content: 'It is sunny and 21C in Paris.',
        ttft: 90,
        duration: 150,
      },
    ]),
    vad: null,
    turnHandling: { turnDetection: 'manual' },
  });
  instrumentAgentSession(session, vt, { conversationId: `example-${Date.now()}` });
  await session.start({ agent: createAgent() });
  for (const userInput of ['hello', 'weather in Paris?']) {
    const result = await session.run({ userInput }).wait();
    const reply = result.events.find((e) => e.type === 'message')?.item.textContent;
    console.log(`user: ${userInput}\nagent: ${reply}`);
  }
  await session.close();
  await vt.shutdown();
  process.exit(0);
}

if (process.argv.includes('--fake')) await runFake();
else cli.runApp(new ServerOptions({ agent: fileURLToPath(import.meta.url) }));
