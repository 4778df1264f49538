/**
 * @module
 * A soak: one runtime, worker and producer in one process, runs a two-step function for a large number of
 * events while heap and RSS are sampled at a fixed interval, and records when each tenth of the runs
 * finished, so a decay of runs/s over the run shows as later tenths taking longer than earlier ones.
 *
 * The producer keeps at most `window` events sent and not finished: a soak measures what the runtime
 * keeps while it works, not a backlog the producer builds up.
 */
import { createRuntime, defineFunction, type Runtime } from '../../index.js';
import { benchLogger } from './env.js';

export interface SoakSample {
  /** Milliseconds since the first send. */
  t: number;
  sent: number;
  done: number;
  /** Bytes; after a full GC when the process can force one (node --expose-gc), so it is what stays alive. */
  heapUsed: number;
  rss: number;
  /** Runs finished per second since the previous sample. */
  runsPerSec: number;
}

export interface SoakResult {
  kind: string;
  events: number;
  durationMs: number;
  samples: SoakSample[];
  /** Runs/s within each tenth of the runs, first to last. */
  deciles: number[];
  failed: number;
}

export interface SoakOptions {
  kind: string;
  url: string;
  namespace: string;
  events: number;
  sampleMs: number;
  window?: number;
  batch?: number;
  /** Forces a full collection before each heap reading. */
  gc?: () => void;
  onSample?: (sample: SoakSample) => void;
  /** Gives up, rejecting, when the runs have not all finished by then. */
  timeoutMs?: number;
}

const fn = defineFunction({ id: 'soak', trigger: { event: 'soak/tick' }, retries: 0 }, async ({ event, step }) => {
  const i = (event.data as { i: number }).i;
  const doubled = await step.run('double', () => i * 2);
  return step.run('add', () => doubled + 1);
});

export async function soak({
  kind,
  url,
  namespace,
  events,
  sampleMs,
  window = 5_000,
  batch = 500,
  gc,
  onSample,
  timeoutMs = 3_600_000,
}: SoakOptions): Promise<SoakResult> {
  const runtime: Runtime = createRuntime({
    transport: url,
    namespace,
    functions: [fn],
    logger: benchLogger,
    // On the durable transports finished runs are otherwise kept for days: the server, not this process, would grow.
    keepFinishedRuns: { count: 10_000 },
  });
  await runtime.start();
  let sent = 0;
  let done = 0;
  let failed = 0;
  let wake: (() => void) | undefined;
  const tenth = Math.max(1, Math.floor(events / 10));
  const decileEnds: number[] = [];
  let began = Date.now();
  let allDone!: () => void;
  const finished = new Promise<void>((resolve) => (allDone = resolve));
  runtime.on('run', (change) => {
    if (change.to === 'succeeded') done++;
    else if (change.to === 'failed') failed++;
    else return;
    const over = done + failed;
    if (over % tenth === 0 && decileEnds.length < 10) decileEnds.push(Date.now());
    if (wake && sent - over <= window / 2) {
      wake();
      wake = undefined;
    }
    if (over >= events) allDone();
  });

  const samples: SoakSample[] = [];
  const sample = () => {
    gc?.();
    const { heapUsed, rss } = process.memoryUsage();
    const t = Date.now() - began;
    const prev = samples.at(-1);
    const runsPerSec = prev && t > prev.t ? ((done - prev.done) * 1000) / (t - prev.t) : 0;
    const s = { t, sent, done, heapUsed, rss, runsPerSec };
    samples.push(s);
    onSample?.(s);
  };
  began = Date.now();
  sample();
  const sampler = setInterval(sample, sampleMs);
  const deadline = setTimeout(() => allDone(), timeoutMs);
  try {
    while (sent < events) {
      if (sent - done - failed >= window) {
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      const n = Math.min(batch, events - sent, window - (sent - done - failed));
      const list = Array.from({ length: n }, (_, k) => ({ name: 'soak/tick', data: { i: sent + k } }));
      await runtime.send(list);
      sent += n;
    }
    await finished;
    if (done + failed < events) throw new Error(`soak on ${kind}: ${done + failed} of ${events} runs finished within ${timeoutMs} ms`);
    sample();
  } finally {
    clearInterval(sampler);
    clearTimeout(deadline);
    await runtime.stop({ timeoutMs: 5_000 });
  }
  const durationMs = Date.now() - began;
  const deciles = decileEnds.map((end, i) => (tenth * 1000) / Math.max(1, end - (i === 0 ? began : decileEnds[i - 1])));
  return { kind, events, durationMs, samples, deciles, failed };
}

/** Heap and RSS once warm (the first sample after a tenth of the runs), at the end, and at most; MB. */
export function soakSummary(r: SoakResult) {
  const mb = (b: number) => Math.round((b / 1048576) * 10) / 10;
  const warm = r.samples.find((s) => s.done >= r.events / 10) ?? r.samples[0];
  const last = r.samples.at(-1) ?? warm;
  return {
    kind: r.kind,
    events: r.events,
    seconds: Math.round(r.durationMs / 100) / 10,
    runsPerSec: Math.round((r.events * 1000) / r.durationMs),
    firstDecileRunsPerSec: Math.round(r.deciles[0] ?? 0),
    lastDecileRunsPerSec: Math.round(r.deciles.at(-1) ?? 0),
    heapWarmMB: mb(warm.heapUsed),
    heapLastMB: mb(last.heapUsed),
    heapMaxMB: mb(Math.max(...r.samples.map((s) => s.heapUsed))),
    rssWarmMB: mb(warm.rss),
    rssLastMB: mb(last.rss),
    rssMaxMB: mb(Math.max(...r.samples.map((s) => s.rss))),
    failed: r.failed,
  };
}
