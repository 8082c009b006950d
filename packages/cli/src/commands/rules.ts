/**
 * `voxtrace rules`: the fleet's Prometheus rule files (recording and alerting) and the Alertmanager
 * configuration, generated from the same thresholds as the in-process monitor.
 */
import { type AlertmanagerOptions, alertmanagerYaml } from '../fleet/alertmanager.js';
import {
  DEFAULT_RUNBOOK_BASE_URL,
  generatePrometheusRules,
  prometheusRulesYaml,
} from '../fleet/prometheus.js';
import type { Command } from './index.js';
import {
  loadThresholds,
  milliseconds,
  parseCommandArgs,
  UsageError,
  withUsage,
  writeFiles,
} from './options.js';

/** File names `voxtrace rules --out DIR` writes. */
export const RULES_FILES = {
  recording: 'voxtrace-recording.rules.yml',
  alerting: 'voxtrace-alerts.rules.yml',
  alertmanager: 'alertmanager.yml',
} as const;

const USAGE = `usage: voxtrace rules [--out DIR] [--thresholds FILE] [--runbook-base-url URL] [--window-ms MS]
                      [--pagerduty-key-file PATH] [--pagerduty-key-type routing|service]
                      [--slack-webhook-file PATH] [--slack-channel NAME]

Prometheus recording and alerting rules for a fleet of voxtrace processes, derived from the in-process
monitor's rules (same thresholds, \`for\`, severities), and the Alertmanager routes (SEV-1 → PagerDuty,
SEV-2/SEV-3 → Slack).

  --out DIR                 write ${RULES_FILES.recording}, ${RULES_FILES.alerting} and
                            ${RULES_FILES.alertmanager} into DIR (default: the rules, as one file, on stdout)
  --thresholds FILE         threshold overrides as JSON, as createVoxtrace({ thresholds }) takes them
  --runbook-base-url URL    where \`voxtrace runbooks\` output is published (default ${DEFAULT_RUNBOOK_BASE_URL})
  --window-ms MS            the monitor's window (default 300000, PromQL [5m])
  --pagerduty-key-file PATH file holding the PagerDuty key (default /etc/alertmanager/pagerduty-key)
  --pagerduty-key-type T    routing (Events API v2, default) or service
  --slack-webhook-file PATH file holding the Slack webhook URL (default /etc/alertmanager/slack-webhook)
  --slack-channel NAME      default #voice-agent-alerts`;

/** The `rules` subcommand. */
export const rules: Command = {
  summary: 'Prometheus rules and Alertmanager routes for a fleet, from the monitor thresholds',
  run: (args) =>
    withUsage('rules', USAGE, async () => {
      const { values } = parseCommandArgs({
        args,
        strict: true,
        options: {
          out: { type: 'string' },
          thresholds: { type: 'string' },
          'runbook-base-url': { type: 'string' },
          'window-ms': { type: 'string' },
          'pagerduty-key-file': { type: 'string' },
          'pagerduty-key-type': { type: 'string' },
          'slack-webhook-file': { type: 'string' },
          'slack-channel': { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      });
      if (values.help) {
        console.log(USAGE);
        return 0;
      }
      const keyType = values['pagerduty-key-type'];
      if (keyType !== undefined && keyType !== 'routing' && keyType !== 'service')
        throw new UsageError(`--pagerduty-key-type must be routing or service, got "${keyType}"`);
      const generated = generatePrometheusRules(await loadThresholds(values.thresholds), {
        runbookBaseUrl: values['runbook-base-url'],
        windowMs: milliseconds('window-ms', values['window-ms']),
      });
      const yaml = prometheusRulesYaml(generated);
      if (values.out === undefined) {
        process.stdout.write(yaml.combined);
        return 0;
      }
      const am: AlertmanagerOptions = {
        pagerdutyKeyFile: values['pagerduty-key-file'],
        pagerdutyKeyType: keyType,
        slackWebhookFile: values['slack-webhook-file'],
        slackChannel: values['slack-channel'],
      };
      const written = await writeFiles(values.out, {
        [RULES_FILES.recording]: yaml.recording,
        [RULES_FILES.alerting]: yaml.alerting,
        [RULES_FILES.alertmanager]: alertmanagerYaml(am),
      });
      for (const path of written) console.log(`wrote ${path}`);
      console.log(
        `${generated.alerts.length} alerts, ${generated.recording.groups[0]!.rules.length} recording rules; ${generated.unexported.length} monitor rules have no Prometheus equivalent (listed in ${RULES_FILES.alerting})`,
      );
      return 0;
    }),
};
