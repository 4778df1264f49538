/**
 * The benchmark suite: `npm run bench` (quick, about 10 minutes) or
 * `npm run bench -- --full`.
 *
 *   node dist/bench/run.js [--full | --smoke] [--transports memory,nats,redis] [--no-bullmq]
 *                          [--sections signup,send,throughput,memory,flow,tracing] [--out DIR]
 *                          [--duration S] [--connections 10,50] [--rounds N]
 *
 * 1. Signup, sync vs async, over real HTTP (autocannon against a signup
 *    service and a third-party server, both child processes).
 * 2. Critical-path cost of send() per transport, next to the raw client op
 *    and BullMQ's Queue.add (benchmark.js), as ratios.
 * 3. Throughput and latency of background runs, against BullMQ workers at
 *    concurrency 1/10/100; event → function-start latency, next to the raw
 *    client's publish → receive on the same server; worker peak RSS.
 * 4. Memory: heap per waiting run (100k sleeping runs) on memory.
 * 5. Flow control: runs/s of a function limited per key next to the same
 *    function unlimited; key B's start latency behind key A's backlog; a
 *    throttle's starts per period.
 * 6. Tracing: one-step runs/s untraced, with the OpenTelemetry binding but
 *    no provider, and with an in-memory exporter, side by side.
 *
 * Transports are probed first: a runtime must start and run a function on
 * `nats://…` / `redis://…`, else the run prints "skipped nats: <reason>"
 * and goes on. Every namespace and queue is unique to the run and removed
 * after. Ends with the tables, and writes bench/results/<timestamp>.json and
 * a self-contained .html with charts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killChildren } from './lib/child.js';
import { cleanupRun, transportKinds } from './lib/env.js';
import { renderHtml } from './lib/report/html.js';
import { renderText } from './lib/report/text.js';
import { computeGoals, type Results } from './lib/results.js';
import type { SectionContext } from './lib/suite/context.js';
import { flowSection } from './lib/suite/flow-section.js';
import { memorySection } from './lib/suite/memory-section.js';
import { parseOptions } from './lib/suite/options.js';
import { startProgress } from './lib/suite/progress.js';
import { sendSection } from './lib/suite/send-section.js';
import { signupSection } from './lib/suite/signup-section.js';
import { throughputSection } from './lib/suite/throughput-section.js';
import { tracingSection } from './lib/suite/tracing-section.js';
import { probeTransports } from './lib/suite/transports.js';

const { mode, plan, wantedTransports, wantBullmq, sections, out } = parseOptions(process.argv.slice(2));
const outDir = out ?? fileURLToPath(new URL('../../bench/results/', import.meta.url));

const log = startProgress();
const { progress, errors } = log;

process.once('SIGINT', () => {
  process.stdout.write("\ninterrupted: ending child processes and removing this run's streams, keys and queues …\n");
  killChildren();
  void cleanupRun().finally(() => process.exit(130));
});

const startedAt = new Date();
const loadAtStart = loadavg();
progress(`eventide benchmarks, ${mode} mode — ${cpus().length} cpus, load ${loadAtStart.map((l) => l.toFixed(1)).join(' ')}`);

const transports = await probeTransports(mode, wantedTransports, wantBullmq, progress);
const kinds = transportKinds.filter((k) => transports[k].ok);
const ctx: SectionContext = { plan, transports, kinds, bullOk: transports.bullmq.ok, log };

const results: Results = {
  version: 1,
  mode,
  startedAt: startedAt.toISOString(),
  finishedAt: '',
  seconds: 0,
  machine: {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    totalMemBytes: totalmem(),
    loadavgAtStart: loadAtStart,
  },
  transports,
  sections: {
    signup: { skipped: 'not requested (--sections)' },
    send: { skipped: 'not requested (--sections)' },
    throughput: { skipped: 'not requested (--sections)' },
    memory: { skipped: 'not requested (--sections)' },
  },
  goals: [],
  errors,
};

if (sections.has('signup')) results.sections.signup = await signupSection(ctx);
if (sections.has('send')) results.sections.send = await sendSection(ctx);
if (sections.has('throughput')) results.sections.throughput = await throughputSection(ctx);
if (sections.has('memory')) results.sections.memory = await memorySection(ctx);
if (sections.has('flow')) results.sections.flow = await flowSection(ctx);
if (sections.has('tracing')) results.sections.tracing = await tracingSection(ctx);

// ── report ─────────────────────────────────────────────────────────────

await cleanupRun();
results.finishedAt = new Date().toISOString();
results.seconds = log.seconds();
results.goals = computeGoals(results);
const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
mkdirSync(outDir, { recursive: true });
const jsonPath = join(outDir, `${stamp}.json`);
const htmlPath = join(outDir, `${stamp}.html`);
writeFileSync(jsonPath, JSON.stringify(results, null, 2) + '\n');
writeFileSync(htmlPath, renderHtml(results));
process.stdout.write(`\n${renderText(results)}\n\nwrote ${jsonPath}\n      ${htmlPath}\n`);
process.exit(0);
