/**
 * @module
 * Section 5 in the terminal: what flow control costs and how well it holds.
 */
import { isSkipped, type Results } from '../results.js';
import { fmtRate, fmtRatio, fmtRounds, table } from '../stats.js';

export function flowLines(flow: Results['sections']['flow']): string[] {
  if (!flow) return [];
  if (isSkipped(flow)) return [`5. Flow control — skipped: ${flow.skipped}`];
  const ms = (v: number | undefined) => (v === undefined ? '–' : `${v.toFixed(1)} ms`);
  return [
    '5. Flow control — one-step runs/s with concurrency { limit: 10, key } over 1,000 keys next to none (same process, same round);',
    "   key B's start latency while key A's backlog waits; a throttle's starts per period",
    table(
      [
        ['transport', 'unlimited', 'limited', 'ratio', 'B behind backlog p50', 'p99', 'throttle starts/period'],
        ...flow.rows.map((r) => [
          r.transport,
          fmtRounds(r.unlimitedRunsPerSec, (v) => fmtRate(v)),
          fmtRounds(r.limitedRunsPerSec, (v) => fmtRate(v)),
          fmtRounds(r.ratio, fmtRatio),
          r.fairness ? `${ms(r.fairness.p50Ms)} (${r.fairness.backlog.toLocaleString('en')})` : '–',
          ms(r.fairness?.p99Ms),
          r.throttle ? `${r.throttle.perPeriod.join(' ')} (limit ${r.throttle.limit})` : '–',
        ]),
      ],
      { alignLeft: 1 },
    ),
    '   gates at event intake: send() p50 of an event for each kind of function; delayed events all due in the same second',
    table(
      [
        ['transport', 'plain', 'debounced', 'rate-limited', 'delayed events', 'first start after due', 'last start after due'],
        ...flow.rows.map((r) => [
          r.transport,
          r.intakeSendP50Us ? `${r.intakeSendP50Us.plain.toFixed(1)} µs` : '–',
          r.intakeSendP50Us ? `${r.intakeSendP50Us.debounced.toFixed(1)} µs` : '–',
          r.intakeSendP50Us ? `${r.intakeSendP50Us.rateLimited.toFixed(1)} µs` : '–',
          r.delayed ? r.delayed.events.toLocaleString('en') : '–',
          ms(r.delayed?.firstAfterDueMs),
          ms(r.delayed?.lastAfterDueMs),
        ]),
      ],
      { alignLeft: 1 },
    ),
  ];
}
