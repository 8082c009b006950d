/**
 * What an incident card says, worked out on the server so the page only lays it out: the severity
 * on the badge and one finding per figure. Every sentence is true when read: a figure that fired
 * and cleared reads "peaked at …; now …", never "now > threshold"; the warning and critical bands of
 * one figure make one line.
 */
import type { PublishedIncident } from './incidents.js';

type Severity = PublishedIncident['severity'];
type PublishedTrigger = NonNullable<PublishedIncident['triggers']>[number];

/** One line of the card's findings. */
export interface Finding {
  text: string;
  /** A rule of this figure fires now. */
  firing: boolean;
}

/** The card's words. */
export interface IncidentCard {
  /**
   * The severity on the badge: the worst the incident reached once it is resolved (a SEV-2 that
   * ended at SEV-3 reads SEV-2), the current one while open.
   */
  badge: Severity;
  /** While open below its peak: `peak SEV-2`. */
  peakNote: string | null;
  /** One per figure, firing ones first, most severe first. */
  findings: Finding[];
}

/** Findings shown at most; the rest are counted in a last line. */
const MAX_FINDINGS = 8;

/** The card of `incident`; `resolved` as the board decided it. */
export function incidentCard(incident: PublishedIncident, resolved: boolean): IncidentCard {
  const peak = incident.peakSeverity ?? incident.severity;
  const groups = new Map<string, PublishedTrigger[]>();
  for (const t of incident.triggers ?? []) {
    const key = t.metric ?? t.label ?? t.rule ?? '';
    const group = groups.get(key);
    if (group) group.push(t);
    else groups.set(key, [t]);
  }
  const findings = [...groups.values()]
    .map((g) => ({ finding: finding(g), top: strongest(g) }))
    .sort(
      (a, b) =>
        Number(b.finding.firing) - Number(a.finding.firing) || rank(a.top.severity) - rank(b.top.severity),
    )
    .map((x) => x.finding);
  const shown = findings.slice(0, MAX_FINDINGS);
  if (findings.length > shown.length)
    shown.push({ text: `and ${findings.length - shown.length} more figures`, firing: false });
  return {
    badge: resolved ? peak : incident.severity,
    peakNote: !resolved && peak !== incident.severity ? `peak ${peak}` : null,
    findings: shown,
  };
}

/** One figure's line, from every rule on it that fired (its warning and critical bands…). */
function finding(group: PublishedTrigger[]): Finding {
  const top = strongest(group);
  const label = top.label ?? top.rule ?? top.metric ?? 'rule';
  const firing = group.filter((t) => t.firing !== false);
  const band = (t: PublishedTrigger) => `${t.comparator ?? ''} ${value(t.threshold, t.unit)}`.trim();
  const severity = (t: PublishedTrigger) => (t.severity ? `, ${t.severity}` : '');
  if (firing.length) {
    const now = strongest(firing);
    const text = `${label} ${value(now.value, now.unit)} ${band(now)}${now.severity ? ` (${now.severity})` : ''}`;
    if (now === top || top.worstValue == null) return { text, firing: true };
    return {
      text: `${text}; peaked at ${value(top.worstValue, top.unit)} (${band(top)}${severity(top)})`,
      firing: true,
    };
  }
  const then =
    top.worstValue == null
      ? `${label} went ${band(top)}`
      : `${label} peaked at ${value(top.worstValue, top.unit)}`;
  const limit =
    top.worstValue == null ? (top.severity ? ` (${top.severity})` : '') : ` (${band(top)}${severity(top)})`;
  return { text: `${then}${limit}; now ${value(top.value, top.unit)}, cleared`, firing: false };
}

/** The most severe trigger; on the same severity, the furthest band (the critical one). */
function strongest(group: PublishedTrigger[]): PublishedTrigger {
  return group.reduce((best, t) => {
    const d = rank(t.severity) - rank(best.severity);
    if (d !== 0) return d < 0 ? t : best;
    const low = (t.comparator ?? '>').startsWith('<');
    const a = t.threshold ?? (low ? Infinity : -Infinity);
    const b = best.threshold ?? (low ? Infinity : -Infinity);
    return (low ? a < b : a > b) ? t : best;
  });
}

function rank(severity: Severity | undefined): number {
  return severity ? Number(severity.slice(-1)) : 9;
}

/** A figure in its unit: `871 ms`, `3.50 s`, `12.5 %`, `3`; `n/a` without a value. */
export function value(v: number | null | undefined, unit: string | undefined): string {
  if (v === null || v === undefined) return 'n/a';
  if (unit === 'ms') return Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`;
  if (unit === 'ratio') return `${+(v * 100).toFixed(1)} %`;
  return String(+v.toFixed(3));
}
