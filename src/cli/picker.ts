// The instance picker: when TARGET is omitted on a terminal, a fuzzy search
// (@inquirer/search) over the running instances, each shown with its id, Name, private
// and public IP, zone and routes. Drawn on stderr so that stdout stays the remote
// command's. Without a terminal, omitting TARGET stays the usage error it was.
import type { Aws } from '../aws/aws.js';
import { selectInstances } from '../aws/select-instances.js';
import { EicError } from '../errors.js';
import type { Io } from '../io.js';
import { listInstances, type ListedInstance } from './ls.js';

export function canPick(io: Io): boolean {
  return io.stdinIsTTY && io.stderrIsTTY;
}

export interface PickerChoice {
  value: string;
  name: string;
}

// Pure: one aligned line per instance.
export function pickerChoices(listed: ListedInstance[]): PickerChoice[] {
  const cells = listed.map((i) => [i.instanceId, i.name ?? '-', i.privateIp ?? '-', i.publicIp ?? '-', i.availabilityZone ?? '-', i.routes.join(',') || '-']);
  const widths = cells[0]?.map((_, c) => Math.max(...cells.map((r) => r[c].length))) ?? [];
  return listed.map((i, row) => ({
    value: i.instanceId,
    name: cells[row].map((cell, c) => (c === cells[row].length - 1 ? cell : cell.padEnd(widths[c]))).join('  '),
  }));
}

// Pure: every word of the term must appear in the line as a subsequence, in order of
// its letters (fzf-like: "wb1" finds "web-1"), case-insensitively; closer matches first.
export function fuzzyFilter(term: string | undefined, choices: PickerChoice[]): PickerChoice[] {
  const words = (term ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return choices;
  const scored: Array<{ choice: PickerChoice; score: number }> = [];
  for (const choice of choices) {
    const line = choice.name.toLowerCase();
    let score = 0;
    let ok = true;
    for (const word of words) {
      const span = subsequenceSpan(line, word);
      if (span === undefined) {
        ok = false;
        break;
      }
      score += span;
    }
    if (ok) scored.push({ choice, score });
  }
  return scored.sort((a, b) => a.score - b.score).map((s) => s.choice);
}

// The length of the shortest stretch of `line` holding `word` as a subsequence.
function subsequenceSpan(line: string, word: string): number | undefined {
  let best: number | undefined;
  for (let start = line.indexOf(word[0]); start >= 0; start = line.indexOf(word[0], start + 1)) {
    let at = start;
    let k = 1;
    for (; k < word.length; k++) {
      at = line.indexOf(word[k], at + 1);
      if (at < 0) break;
    }
    if (k < word.length) break;
    const span = at - start + 1;
    if (best === undefined || span < best) best = span;
  }
  return best;
}

export async function pickInstance(aws: Aws, io: Io): Promise<string> {
  const instances = await selectInstances(aws, { kind: 'all' });
  if (instances.length === 0) {
    throw new EicError('TARGET_NOT_FOUND', `no running instances in ${aws.region} to pick from`, { hint: 'check --region and --profile' });
  }
  const choices = pickerChoices(await listInstances(aws, instances));
  const { default: search } = await import('@inquirer/search');
  try {
    return await search(
      {
        message: 'Instance (type to filter, Enter to connect)',
        source: (term) => fuzzyFilter(term, choices),
        pageSize: Math.min(15, choices.length),
      },
      { input: io.stdin, output: io.stderr, clearPromptOnDone: true },
    );
  } catch (error) {
    if (error instanceof Error && (error.name === 'ExitPromptError' || error.name === 'AbortPromptError')) {
      throw new EicError('USAGE', 'no instance picked', { hint: 'give a target: eic-ssh [user@]<target>' });
    }
    throw error;
  }
}
