/**
 * @module
 * Section 2: the critical-path cost of send() per transport, one worker
 * process per transport, next to the raw client op and BullMQ's adds.
 */
import { runCase } from '../child.js';
import type { TransportKind } from '../env.js';
import { ratioRounds, type Results, type SendRow } from '../results.js';
import type { SendCaseResult } from '../send-cost.js';
import { rounds } from '../stats.js';
import type { SectionContext } from './context.js';

export async function sendSection(ctx: SectionContext): Promise<Results['sections']['send']> {
  const { plan, kinds, transports, bullOk } = ctx;
  const { progress, childLine, attempt } = ctx.log;
  progress('── 2. critical-path cost of send()');
  const rows: SendRow[] = [];
  const skipped: string[] = [];
  const targets: (TransportKind | 'bullmq-only')[] = [...kinds];
  if (bullOk && !kinds.includes('redis')) targets.push('bullmq-only');
  if (!bullOk) skipped.push(`BullMQ Queue.add: ${transports.bullmq.reason}`);
  for (const kind of targets) {
    progress(
      `send() on ${kind === 'bullmq-only' ? 'Redis (BullMQ only: the Redis transport is not available)' : kind} · ${plan.send.rounds} rounds`,
    );
    const out = await attempt(`send on ${kind}`, () =>
      runCase<SendCaseResult>(
        { case: 'send', kind, ...plan.send, bullmq: bullOk && (kind === 'redis' || kind === 'bullmq-only') },
        { onLine: childLine },
      ),
    );
    if (!out) continue;
    const r = out.result;
    const us = Object.fromEntries(Object.entries(r.ops).map(([k, v]) => [k, rounds(v.values)]));
    rows.push({
      transport: kind === 'bullmq-only' ? 'redis (BullMQ only)' : kind,
      names: r.names,
      us,
      rme: Object.fromEntries(Object.entries(r.ops).map(([k, v]) => [k, v.rme])),
      loopP50Us: Object.fromEntries(Object.entries(r.loops).map(([k, v]) => [k, v.p50])),
      loopP99Us: Object.fromEntries(Object.entries(r.loops).map(([k, v]) => [k, v.p99])),
      sendOverRaw: ratioRounds(us.send, us.raw),
      sendOverBullmqAdd3: ratioRounds(us.send, us.bullmqAdd3),
      sendOverBullmqAdd3P50: ratioRounds(r.loops.send?.p50, r.loops.bullmqAdd3?.p50),
      rawOverBullmqAdd3P50: ratioRounds(r.loops.raw?.p50, r.loops.bullmqAdd3?.p50),
    });
  }
  return { rows, skipped };
}
