/**
 * @module
 * Section 6 in the terminal: one-step runs/s by tracing variant, and the share tracing costs.
 */
import { isSkipped, type Results } from '../results.js';
import { fmtPct, fmtRate, fmtRounds, table } from '../stats.js';

export function tracingLines(tracing: Results['sections']['tracing']): string[] {
  if (!tracing) return [];
  if (isSkipped(tracing)) return [`6. Tracing — skipped: ${tracing.skipped}`];
  return [
    '6. Tracing — one-step runs/s with tracing: false, with the OpenTelemetry binding and no provider, and with a provider',
    '   and an in-memory exporter (same process, same round); overhead = 1 − runs/s ÷ untraced (goals: ≤ 5 %, ≤ 25 %)',
    table(
      [
        ['transport', 'untraced', 'no provider', 'overhead', 'in-memory exporter', 'overhead'],
        ...tracing.rows.map((r) => [
          r.transport,
          fmtRounds(r.untracedRunsPerSec, (v) => fmtRate(v)),
          fmtRounds(r.noProviderRunsPerSec, (v) => fmtRate(v)),
          fmtRounds(r.noProviderOverhead, fmtPct),
          fmtRounds(r.exporterRunsPerSec, (v) => fmtRate(v)),
          fmtRounds(r.exporterOverhead, fmtPct),
        ]),
      ],
      { alignLeft: 1 },
    ),
  ];
}
