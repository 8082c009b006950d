/**
 * `voxtrace postmortem incident.json [--out FILE]`: seed 000's postmortem template and the three
 * communication templates, filled from an incident the monitor reported.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { IncidentDocumentError, parseIncident } from '../fleet/incident.js';
import { renderPostmortem } from '../fleet/postmortem.js';
import type { Command } from './index.js';
import { parseCommandArgs, UsageError, withUsage } from './options.js';

const USAGE = `usage: voxtrace postmortem INCIDENT.json [--out FILE] [--title TEXT] [--commander NAME]
                           [--participant NAME]… [--root-cause TEXT] [--fix TEXT] [--prevention TEXT]

Fills seed 000's incident postmortem template (overview, impact with the measured figures, UTC timeline,
five whys, action items, lessons learned) and the internal, stakeholder and resolution messages from an
incident as vt.on('incident') or vt.monitor.incidents() gives it, saved as JSON. What you leave out stays
a {placeholder}.

  --out FILE         write the markdown there (default: stdout)
  --title TEXT       default: the monitor's description of the incident
  --commander NAME   incident commander
  --participant NAME repeat for each participant
  --root-cause TEXT  one sentence; also in the resolution message
  --fix TEXT         what was changed; also in the resolution message
  --prevention TEXT  also in the resolution message`;

/** The `postmortem` subcommand. */
export const postmortem: Command = {
  summary: "postmortem and communication templates from an incident's JSON",
  run: (args) =>
    withUsage('postmortem', USAGE, async () => {
      const { values, positionals } = parseCommandArgs({
        args,
        strict: true,
        allowPositionals: true,
        options: {
          out: { type: 'string' },
          title: { type: 'string' },
          commander: { type: 'string' },
          participant: { type: 'string', multiple: true },
          'root-cause': { type: 'string' },
          fix: { type: 'string' },
          prevention: { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      });
      if (values.help) {
        console.log(USAGE);
        return 0;
      }
      if (positionals.length !== 1) throw new UsageError('give exactly one incident JSON file');
      const file = positionals[0]!;
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
      }
      let incident;
      try {
        incident = parseIncident(text);
      } catch (err) {
        if (err instanceof IncidentDocumentError) throw new UsageError(`${file}: ${err.message}`);
        throw err;
      }
      const markdown = renderPostmortem(incident, {
        title: values.title,
        commander: values.commander,
        participants: values.participant,
        rootCause: values['root-cause'],
        fixApplied: values.fix,
        prevention: values.prevention,
      });
      if (values.out === undefined) process.stdout.write(markdown);
      else {
        await writeFile(values.out, markdown);
        console.log(`wrote ${values.out}`);
      }
      return 0;
    }),
};
