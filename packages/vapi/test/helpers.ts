/** Test helpers: fixtures from `<repo>/fixtures`, a voxtrace with an in-memory span exporter, real servers. */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  type ConversationRecord,
  createVoxtrace,
  type Diagnostic,
  type TurnRecord,
  type Voxtrace,
  type VoxtraceOptions,
} from '@voxtrace/core';

export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
export const fixturesDir = resolve(repoRoot, 'fixtures');

/** A Vapi fixture body, parsed. */
export function fixture(name: string): { message: Record<string, unknown> } & Record<string, unknown> {
  return JSON.parse(readFileSync(resolve(fixturesDir, 'vapi', name), 'utf8'));
}

/** A Vapi fixture body, as raw text. */
export function fixtureText(name: string): string {
  return readFileSync(resolve(fixturesDir, 'vapi', name), 'utf8');
}

export const FIXTURES = [
  'vapi-end-of-call-report.json',
  'vapi-speech-update.json',
  'vapi-status-update-ended.json',
  'vapi-status-update-in-progress.json',
  'vapi-tool-calls.json',
] as const;

/** The 597 `endedReason` values of `@vapi-ai/server-sdk` 2.0 (see `fixtures/SOURCES.md`). */
export function endedReasons(): string[] {
  return readFileSync(resolve(fixturesDir, 'vapi/vapi-endedReason-values.txt'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/** The fixture call's id. */
export const CALL_ID = '73a6da0f-c455-4bb6-bf4a-5f0634871430';

/** A voxtrace instance recording spans, turns, conversations and diagnostics in memory. */
export interface Harness {
  vt: Voxtrace;
  exporter: InMemorySpanExporter;
  turns: TurnRecord[];
  conversations: ConversationRecord[];
  diagnostics: Diagnostic[];
  spans(name?: string): ReadableSpan[];
}

export function harness(options: VoxtraceOptions = {}): Harness {
  const exporter = new InMemorySpanExporter();
  const diagnostics: Diagnostic[] = [];
  const vt = createVoxtrace({
    otlp: false,
    content: 'full',
    spanProcessors: [new SimpleSpanProcessor(exporter)],
    onDiagnostic: (d) => diagnostics.push(d),
    ...options,
  });
  const turns: TurnRecord[] = [];
  const conversations: ConversationRecord[] = [];
  vt.on('turn', (t) => turns.push(t));
  vt.on('conversation', (c) => conversations.push(c));
  return {
    vt,
    exporter,
    turns,
    conversations,
    diagnostics,
    spans: (name) => exporter.getFinishedSpans().filter((s) => name === undefined || s.name === name),
  };
}

/** Starts a Node server on 127.0.0.1, port 0. */
export async function listen(server: Server): Promise<{ url: string; close: () => Promise<void> }> {
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

export { createServer };

/** Span attribute value. */
export function attr(span: ReadableSpan | undefined, key: string): unknown {
  return span?.attributes[key];
}

/** OTel `[seconds, nanos]` → epoch ms. */
export function ms(time: [number, number]): number {
  return time[0] * 1000 + time[1] / 1e6;
}
