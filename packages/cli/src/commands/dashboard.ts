/** `voxtrace dashboard [--out FILE]`: the Grafana dashboard JSON for a fleet, from the thresholds. */
import { writeFile } from 'node:fs/promises';
import { generateGrafanaDashboard } from '../fleet/dashboard.js';
import type { Command } from './index.js';
import { loadThresholds, milliseconds, parseCommandArgs, withUsage } from './options.js';

const USAGE = `usage: voxtrace dashboard [--out FILE] [--thresholds FILE] [--window-ms MS] [--title TEXT] [--uid UID]

A Grafana dashboard (JSON; import it, then pick the Prometheus data source) for a fleet of voxtrace
processes: turn latency percentiles with the threshold lines, component P90s against their bands, error
rates, severity, workers and traffic, generated from the same thresholds as \`voxtrace rules\`.

  --out FILE         write the JSON there (default: stdout)
  --thresholds FILE  threshold overrides as JSON, as createVoxtrace({ thresholds }) takes them
  --window-ms MS     the monitor's window (default 300000)
  --title TEXT       dashboard title
  --uid UID          dashboard uid (default voxtrace-fleet)`;

/** The `dashboard` subcommand. */
export const dashboard: Command = {
  summary: 'Grafana dashboard JSON: latency percentiles with threshold lines, components, errors, severity',
  run: (args) =>
    withUsage('dashboard', USAGE, async () => {
      const { values } = parseCommandArgs({
        args,
        strict: true,
        options: {
          out: { type: 'string' },
          thresholds: { type: 'string' },
          'window-ms': { type: 'string' },
          title: { type: 'string' },
          uid: { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      });
      if (values.help) {
        console.log(USAGE);
        return 0;
      }
      const json = `${JSON.stringify(
        generateGrafanaDashboard(await loadThresholds(values.thresholds), {
          windowMs: milliseconds('window-ms', values['window-ms']),
          title: values.title,
          uid: values.uid,
        }),
        null,
        2,
      )}\n`;
      if (values.out === undefined) process.stdout.write(json);
      else {
        await writeFile(values.out, json);
        console.log(`wrote ${values.out}`);
      }
      return 0;
    }),
};
