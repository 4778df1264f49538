/**
 * @module
 * Section 2 in the terminal: send() next to the raw client op and BullMQ,
 * with the ratios from the same rounds.
 */
import { isSkipped, ratioRounds, type Results } from '../results.js';
import { fmtRatio, fmtRounds, fmtUs, table } from '../stats.js';
import { roundsNote } from './format.js';

export function sendLines(send: Results['sections']['send']): string[] {
  const out: string[] = [];
  if (isSkipped(send)) out.push(`2. send() critical path — skipped: ${send.skipped}`);
  else {
    const n = send.rows[0]?.us.raw?.values.length ?? 0;
    out.push(
      `2. send() critical path — µs per call: benchmark.js mean, and p50 / p99 of a sequential timed loop; ${roundsNote(n)}; ratios per round, same process`,
    );
    const rows: string[][] = [
      ['transport', 'operation', 'benchmark.js', 'loop p50', 'loop p99', 'send ÷ this (benchmark.js)', 'send ÷ this (p50)'],
    ];
    for (const row of send.rows) {
      for (const key of ['send', 'raw', 'bullmqAdd', 'bullmqAdd3']) {
        if (!row.us[key]) continue;
        const vsMean = key === 'send' ? undefined : ratioRounds(row.us.send, row.us[key]);
        const vsP50 = key === 'send' ? undefined : ratioRounds(row.loopP50Us.send, row.loopP50Us[key]);
        rows.push([
          key === 'send' || !row.us.send ? row.transport : '',
          key === 'send' ? 'runtime.send()' : (row.names[key] ?? key),
          fmtRounds(row.us[key], fmtUs),
          fmtRounds(row.loopP50Us[key], fmtUs),
          fmtUs(row.loopP99Us[key]?.median),
          fmtRounds(vsMean, fmtRatio),
          fmtRounds(vsP50, fmtRatio),
        ]);
      }
    }
    out.push(table(rows, { alignLeft: 2 }));
    out.push(
      '   memory: producer-only runtime whose events a bare consumer acks at once; nats/redis: producer-only runtime (worker: false).',
    );
    for (const s of send.skipped) out.push(`   skipped ${s}`);
  }
  return out;
}
