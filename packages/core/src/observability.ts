/**
 * Builds the monitor and the Prometheus metrics of a voxtrace instance from its options, so that
 * `createVoxtrace` only has to add their sinks and expose `vt.monitor` and `vt.registry`.
 */
import { Registry } from 'prom-client';
import type { Diagnostic } from './diagnostics.js';
import type { ExportStats } from './export.js';
import { type AnyRegistry, type MetricsOptions, MetricsSink } from './metrics.js';
import type { Incident } from './monitor/incidents.js';
import { MonitorEngine, type MonitorOptions } from './monitor/monitor.js';
import type { VoxtraceSink } from './sink.js';
import type { Thresholds } from './thresholds.js';

/** Inputs of {@link createObservability}. */
export interface ObservabilityOptions {
  thresholds: Thresholds;
  now: () => number;
  metrics?: MetricsOptions | false;
  monitor?: MonitorOptions | false;
  onIncident(incident: Incident): void;
  onDiagnostic(diagnostic: Diagnostic): void;
  /** The span export counters, read at each scrape. */
  exportStats(): ExportStats;
}

/** The monitor, the registry and the sinks to add. */
export interface Observability {
  monitor: MonitorEngine;
  registry: AnyRegistry | null;
  sinks: VoxtraceSink[];
  /** Counts a diagnostic in the metrics. */
  diagnostic(d: Diagnostic): void;
}

/** See the module comment. Throws on invalid options (rules, label cap, a registry already in use). */
export function createObservability(o: ObservabilityOptions): Observability {
  let metrics: MetricsSink | null = null;
  // The monitor first: its options are validated before anything is registered in the user's registry.
  const monitor = new MonitorEngine({
    ...(o.monitor === false ? {} : o.monitor),
    thresholds: o.thresholds,
    now: o.now,
    enabled: o.monitor !== false,
    onIncident: o.onIncident,
    onDiagnostic: o.onDiagnostic,
    onWorkersActive: (n) => metrics?.setWorkersActive(n),
  });
  if (o.metrics !== false) {
    metrics = new MetricsSink({
      ...o.metrics,
      registry: o.metrics?.registry ?? new Registry(),
      severity: () => monitor.severity,
      thresholds: { latencySpikeMs: o.thresholds.e2eLatency.p95.criticalMs },
      exportStats: o.exportStats,
    });
  }
  monitor.start();
  const sinks: VoxtraceSink[] = [];
  if (metrics) sinks.push(metrics);
  if (monitor.enabled) sinks.push(monitor);
  const m = metrics;
  return {
    monitor,
    registry: m?.registry ?? null,
    sinks,
    diagnostic: (d) => m?.diagnostic(d),
  };
}
