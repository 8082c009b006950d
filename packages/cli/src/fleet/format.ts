/** How figures read in rule files, runbooks and postmortems. */

/** `15 s`, `3.5 s`, `400 ms`, `5 %`, `12.34 %`, `3`: a figure in its unit, at most two decimals. */
export function formatValue(v: number, unit: 'ms' | 'ratio' | 'count'): string {
  if (unit === 'ms') return v >= 1000 ? `${+(v / 1000).toFixed(2)} s` : `${+v.toFixed(0)} ms`;
  if (unit === 'ratio') return `${+(v * 100).toFixed(2)} %`;
  return String(+v.toFixed(2));
}

/** `1 h 05 min`, `14 min`, `45 s`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** `2026-02-16 10:19 UTC`, or `10:19 UTC` when `sameDayAs` is on the same UTC day. */
export function formatUtc(t: number, sameDayAs?: number): string {
  const iso = new Date(t).toISOString();
  const day = iso.slice(0, 10);
  const clock = iso.slice(11, 16);
  return sameDayAs !== undefined && new Date(sameDayAs).toISOString().slice(0, 10) === day
    ? `${clock} UTC`
    : `${day} ${clock} UTC`;
}
