/**
 * @module
 * Section 4 in the terminal: what a run asleep in a step costs in memory.
 */
import { isSkipped, type Results } from '../results.js';
import { fmtBytes, fmtRounds, table } from '../stats.js';

export function memoryLines(memory: Results['sections']['memory']): string[] {
  const out: string[] = [];
  if (isSkipped(memory)) out.push(`4. Memory — skipped: ${memory.skipped}`);
  else {
    out.push(
      `4. Memory — ${memory.runs.toLocaleString('en')} runs sleeping in step.sleep('nap', '1h') on memory, after a full GC, per run`,
    );
    out.push(
      table(
        [
          ['figure', 'value'],
          ['JS heap per waiting run', fmtRounds(memory.heapPerRunBytes, fmtBytes)],
          ['buffers outside the heap per run', fmtRounds(memory.buffersPerRunBytes, fmtBytes)],
          ['RSS growth per run', fmtRounds(memory.rssPerRunBytes, fmtBytes)],
          ['stored record of one sleeping run', fmtBytes(memory.recordBytes)],
          ['peak RSS of that process', fmtBytes(memory.peakRssBytes)],
        ],
        { alignLeft: 1 },
      ),
    );
  }
  return out;
}
