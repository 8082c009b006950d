/**
 * Incidents and monitor snapshots published to the viewer (by `connectToDevViewer`, or any process
 * that POSTs them). Validation is lenient (unknown fields are dropped, most fields optional) so a
 * newer monitor still gets through; storage is bounded: the last incidents, and a ring of snapshots
 * per publishing source.
 */
import { z } from 'zod';
import { type IncidentCard, incidentCard } from './incident-card.js';

const severity = z.enum(['SEV-1', 'SEV-2', 'SEV-3']);
const ms = z.number().finite();
const text = (max: number) => z.string().max(max);

/** Zod schema of an incident as the monitor reports it (`vt.on('incident')`). */
export const incidentSchema = z.object({
  id: text(200).min(1),
  severity,
  peakSeverity: severity.optional(),
  /** `investigating`, `identified`, `mitigating`, `resolved`, or a publisher's own word. */
  status: text(40).min(1),
  openedAt: ms,
  updatedAt: ms.optional(),
  resolvedAt: ms.nullable().optional(),
  layer: text(40).nullable().optional(),
  triggers: z
    .array(
      z.object({
        rule: text(200).optional(),
        label: text(200).optional(),
        metric: text(100).optional(),
        unit: text(20).optional(),
        severity: severity.optional(),
        value: z.number().nullable().optional(),
        /** Value furthest past the threshold while it fired. */
        worstValue: z.number().nullable().optional(),
        comparator: text(4).optional(),
        threshold: z.number().nullable().optional(),
        firing: z.boolean().optional(),
        layer: text(40).nullable().optional(),
      }),
    )
    .max(200)
    .optional(),
  timeline: z
    .array(
      z.object({
        at: ms,
        event: text(60).optional(),
        message: text(2000).optional(),
        severity: severity.optional(),
      }),
    )
    .max(1000)
    .optional(),
  /** Figures the templates quote (`p90Ms`, `callsAffected`…). */
  figures: z.record(z.string().max(60), z.union([z.number(), z.string().max(60), z.null()])).optional(),
});
/** An incident as published. */
export type PublishedIncident = z.infer<typeof incidentSchema>;

const percentile = z.number().finite().nullable().optional();

/** Zod schema of a monitor snapshot (`vt.monitor.snapshot()`); only the figures the viewer shows are kept. */
export const snapshotSchema = z.object({
  at: ms,
  severity: severity.nullable().optional(),
  latency: z
    .object({
      count: z.number().optional(),
      p50: percentile,
      p90: percentile,
      p95: percentile,
      p99: percentile,
    })
    .optional(),
  layer: text(40).nullable().optional(),
  bottleneck: text(40).nullable().optional(),
  /** The open incident; validated on its own, so a malformed one does not lose the snapshot. */
  incident: z.unknown().optional(),
});
/** A monitor snapshot as published. */
export type PublishedSnapshot = z.infer<typeof snapshotSchema>;

/** A stored snapshot: the snapshot without its incident (kept with the incidents). */
export type SeverityPoint = Omit<PublishedSnapshot, 'incident'>;

/** An incident with the source that published it, whether it is resolved, and its card's words. */
export interface IncidentView extends PublishedIncident {
  source: string;
  resolved: boolean;
  card: IncidentCard;
}

/** What the incidents panel shows. */
export interface IncidentsView {
  /** Newest first. */
  incidents: IncidentView[];
  /** Severity over time, per publishing source. */
  severity: { source: string; points: SeverityPoint[] }[];
}

/** Limits of an {@link IncidentBoard}. */
export interface IncidentBoardOptions {
  /** Incidents kept (resolved ones go first). Default 100. */
  maxIncidents?: number;
  /** Snapshots kept per source. Default 2000. */
  maxSnapshots?: number;
  /** Publishing sources kept (the least recently heard goes first). Default 8. */
  maxSources?: number;
}

/** Bounded store of incidents and severity snapshots. */
export class IncidentBoard {
  private readonly incidents = new Map<string, IncidentView>();
  private readonly sources = new Map<string, SeverityPoint[]>();
  private version_ = 0;
  private readonly maxIncidents: number;
  private readonly maxSnapshots: number;
  private readonly maxSources: number;

  constructor(options: IncidentBoardOptions = {}) {
    this.maxIncidents = options.maxIncidents ?? 100;
    this.maxSnapshots = options.maxSnapshots ?? 2000;
    this.maxSources = options.maxSources ?? 8;
  }

  /** Increases with every change. */
  get version(): number {
    return this.version_;
  }

  /** Adds or updates an incident; an update older than the one held is ignored (posts can cross). */
  upsert(source: string, incident: PublishedIncident): void {
    const key = `${source}\u0000${incident.id}`;
    const held = this.incidents.get(key);
    if (held && (incident.updatedAt ?? incident.openedAt) < (held.updatedAt ?? held.openedAt)) return;
    const resolved = incident.status === 'resolved' || (incident.resolvedAt ?? null) !== null;
    this.incidents.set(key, { ...incident, source, resolved, card: incidentCard(incident, resolved) });
    this.version_++;
    while (this.incidents.size > this.maxIncidents) {
      const victim =
        [...this.incidents].filter(([, i]) => i.resolved).sort((a, b) => a[1].openedAt - b[1].openedAt)[0] ??
        [...this.incidents].sort((a, b) => a[1].openedAt - b[1].openedAt)[0]!;
      this.incidents.delete(victim[0]);
    }
  }

  /** Records a snapshot's severity and latency; its open incident, if any, is upserted. */
  snapshot(source: string, snapshot: PublishedSnapshot): void {
    const { incident, ...point } = snapshot;
    const parsed = incident == null ? null : incidentSchema.safeParse(incident);
    if (parsed?.success) this.upsert(source, parsed.data);
    let ring = this.sources.get(source);
    if (ring) this.sources.delete(source);
    else ring = [];
    this.sources.set(source, ring);
    while (this.sources.size > this.maxSources) this.sources.delete(this.sources.keys().next().value!);
    ring.push(point);
    if (ring.length > this.maxSnapshots) ring.splice(0, ring.length - this.maxSnapshots);
    this.version_++;
  }

  /** Incidents newest first and the severity series. */
  view(): IncidentsView {
    return {
      incidents: [...this.incidents.values()].sort((a, b) => b.openedAt - a.openedAt),
      severity: [...this.sources].map(([source, points]) => ({
        source,
        points: [...points].sort((a, b) => a.at - b.at),
      })),
    };
  }
}
