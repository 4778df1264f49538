/**
 * @module
 * What the commands print for people: aligned tables and a run's detail.
 * `--json` output does not come through here (it is the HTTP API's views).
 */
import type { RunDetail, RunSummary, DeadLetterView } from '../http/index.js';

/** UTC, to the second: the same in every terminal, and sortable. */
export function time(ms: number | undefined): string {
  return ms === undefined ? '–' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

export function duration(ms: number | undefined): string {
  if (ms === undefined) return '–';
  if (ms < 1_000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}

/** One line of a value, cut so a table row or a detail line stays readable; `--json` has it whole. */
function brief(value: unknown, max = 120): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function runsTable(runs: RunSummary[]): string {
  return table(
    ['RUN', 'FUNCTION', 'STATUS', 'ATTEMPT', 'EVENT', 'CREATED (UTC)', 'DURATION'],
    runs.map((r) => [
      r.id,
      r.functionId,
      r.status,
      String(r.attempt),
      r.eventName ?? '–',
      time(r.createdAt),
      r.endedAt === undefined ? '–' : duration(r.endedAt - r.createdAt),
    ]),
  );
}

export function runText(r: RunDetail): string {
  const lines = [
    `run       ${r.id}`,
    `function  ${r.functionId}`,
    `status    ${r.status} (attempt ${r.attempt})`,
    `event     ${r.event?.name ?? '–'} ${r.eventId}`,
    `data      ${brief(r.event?.data)}`,
    `created   ${time(r.createdAt)} UTC`,
  ];
  if (r.endedAt !== undefined) lines.push(`ended     ${time(r.endedAt)} UTC, after ${duration(r.durationMs)}`);
  if (r.nextAttemptAt !== undefined) lines.push(`next      ${time(r.nextAttemptAt)} UTC`);
  if (r.replayOf) lines.push(`replay of ${r.replayOf}`);
  if (r.error) lines.push(`error     ${r.error.name}: ${r.error.message}`);
  if (r.output !== undefined) lines.push(`output    ${brief(r.output)}`);
  if (r.steps.length) {
    lines.push('', 'steps');
    for (const s of r.steps) {
      const tries = `${s.attempts} ${s.attempts === 1 ? 'try' : 'tries'}`;
      const error = s.error ? `  ${s.error.name}: ${s.error.message}` : '';
      lines.push(`  ${s.id}  ${s.kind}  ${s.status}  ${tries}  ${duration(s.durationMs)}${error}`);
    }
  }
  if (r.logs.length) {
    lines.push('', 'logs');
    for (const l of r.logs)
      lines.push(`  ${time(l.at)}  #${l.attempt}  ${l.level.padEnd(5)}  ${l.message}${l.fields ? `  ${brief(l.fields)}` : ''}`);
    if (r.logsDropped) lines.push(`  … ${r.logsDropped} more lines were dropped (maxLogsPerRun)`);
  }
  return lines.join('\n') + '\n';
}

export function deadLettersTable(letters: DeadLetterView[]): string {
  return table(
    ['AT (UTC)', 'GROUP', 'EVENT', 'REASON'],
    letters.map((d) => [
      time(d.at),
      d.group || '–',
      d.event ? `${d.event.name} ${d.event.id}` : `(${d.bytes} bytes, not an event)`,
      d.reason,
    ]),
  );
}
