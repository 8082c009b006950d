/**
 * `@voxtrace/cli`: the `voxtrace` command and its building blocks as a library.
 *
 * @packageDocumentation
 */
export { type Command, commands } from './commands/index.js';
export { percentile, type ReplayReport, replayFiles } from './commands/replay.js';
export {
  type AlertmanagerOptions,
  alertmanagerYaml,
  generateAlertmanagerConfig,
} from './fleet/alertmanager.js';
export { type RunbookAlert, renderRunbook, runbookFileName } from './fleet/runbook.js';
