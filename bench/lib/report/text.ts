/**
 * @module
 * The terminal report: the run's header, the four sections' tables, the
 * goal lines and any errors.
 */
import type { Results } from '../results.js';
import { tick } from '../stats.js';
import { flowLines } from './flow-table.js';
import { tracingLines } from './tracing-table.js';
import { memoryLines } from './memory-table.js';
import { sendLines } from './send-table.js';
import { signupLines } from './signup-table.js';
import { throughputLines } from './throughput-table.js';

export function renderText(r: Results): string {
  const out: string[] = [];
  out.push(
    `eventide benchmarks — ${r.mode} · node ${r.machine.node} · ${r.machine.cpus} cpus · load ${r.machine.loadavgAtStart.map((l) => l.toFixed(1)).join(' ')} at start · ${r.seconds.toFixed(0)} s`,
  );
  out.push(
    `transports: ${(['memory', 'nats', 'redis', 'bullmq'] as const)
      .map((k) => (r.transports[k].ok ? `${k} ✓` : `${k} skipped (${r.transports[k].reason})`))
      .join(' · ')}`,
  );

  const { signup, send, throughput, memory } = r.sections;
  out.push('');
  out.push(...signupLines(signup));

  out.push('');
  out.push(...sendLines(send));

  out.push('');
  out.push(...throughputLines(throughput));

  out.push('');
  out.push(...memoryLines(memory));

  if (r.sections.flow) {
    out.push('');
    out.push(...flowLines(r.sections.flow));
  }

  if (r.sections.tracing) {
    out.push('');
    out.push(...tracingLines(r.sections.tracing));
  }

  out.push('');
  out.push('Goals');
  for (const g of r.goals) out.push(`  ${tick(g.pass ?? undefined)} ${g.text}: ${g.detail}`);
  if (r.errors.length) {
    out.push('');
    out.push('Errors');
    for (const e of r.errors) out.push(`  ${e}`);
  }
  return out.join('\n');
}
