/**
 * @module
 * The suite's command line: flags, their checks and the usage text. A wrong
 * argument ends the process here, before anything runs.
 */
import { transportKinds, type TransportKind } from '../env.js';
import type { Mode } from '../results.js';
import { plans, type Plan } from './plans.js';

export interface SuiteOptions {
  mode: Mode;
  plan: Plan;
  wantedTransports: TransportKind[];
  wantBullmq: boolean;
  sections: Set<string>;
  /** --out, when given. */
  out: string | undefined;
}

const usage = `usage: node dist/bench/run.js [--full | --smoke] [--transports memory,nats,redis] [--no-bullmq]
                         [--sections signup,send,throughput,memory,flow,tracing] [--out DIR]
                         [--duration S] [--connections 10,50] [--rounds N]`;

/** \`--help\`: every option, what it does and its default, so nobody has to read the source before a ten-minute run. */
const help = `eventide benchmarks: signup latency sync vs async over HTTP, send() cost, background runs/s and start
latency against BullMQ and the raw clients, heap per waiting run. NATS and Redis are probed first; one that
does not answer is skipped, not fatal.

${usage}

modes (default: quick, about 10 minutes; for a check in under a minute, npm run bench:core)
  (none)              quick: 1 round of signup at 10 and 50 connections for 3 s, 3 rounds of send and throughput
  --full              3–5 rounds of everything, more events per round, signup also at 100 connections, 10 s each
  --smoke             a few seconds on memory only, no BullMQ: checks that the suite runs, measures nothing

options
  --transports LIST   which transports to measure, of memory,nats,redis      default all three (smoke: memory)
  --sections LIST     which sections to run (signup,send,throughput,memory,flow,tracing)  default all six
  --no-bullmq         leave BullMQ out of every comparison                   default BullMQ in (smoke: out)
  --out DIR           where the .json and .html results go                   default bench/results/
  --duration S        seconds of load per signup measurement                 default 3 (full: 10, smoke: 1)
  --connections LIST  HTTP connections of the signup load                    default 10,50 (full: 10,50,100; smoke: 4)
  --rounds N          rounds of every section (the median is reported)       default quick: 1 for signup and memory,
                                                                             3 for send and throughput; full: 3 for
                                                                             signup and memory, 5 for the others; smoke: 1
  --help              this text

NATS and Redis are nats://127.0.0.1:4222 and redis://127.0.0.1:6379, or EVENTIDE_BENCH_NATS / EVENTIDE_BENCH_REDIS.`;

/** A mistyped flag would otherwise run the whole ten-minute suite with the defaults. */
function refuseUnknownArguments(argv: string[]): void {
  const flags = new Set(['full', 'smoke', 'no-bullmq', 'help']);
  const valued = new Set(['transports', 'sections', 'out', 'duration', 'connections', 'rounds']);
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, '').replace(/=.*$/, '');
    if (!argv[i].startsWith('--') || (!flags.has(name) && !valued.has(name))) {
      process.stderr.write(`unknown argument ${JSON.stringify(argv[i])}\n${usage}\n`);
      process.exit(2);
    }
    if (valued.has(name) && !argv[i].includes('=')) i++;
  }
}

export function parseOptions(argv: string[]): SuiteOptions {
  const has = (f: string) => argv.includes(`--${f}`);
  const value = (f: string): string | undefined => {
    const i = argv.findIndex((a) => a === `--${f}` || a.startsWith(`--${f}=`));
    if (i < 0) return undefined;
    return argv[i].includes('=') ? argv[i].slice(argv[i].indexOf('=') + 1) : argv[i + 1];
  };
  refuseUnknownArguments(argv);
  if (has('help')) {
    process.stdout.write(`${help}\n`);
    process.exit(0);
  }
  const mode: Mode = has('smoke') ? 'smoke' : has('full') ? 'full' : 'quick';

  const plan = plans[mode];
  if (value('duration')) plan.signup.durationS = Number(value('duration'));
  if (value('connections')) plan.signup.connections = String(value('connections')).split(',').map(Number);
  if (value('rounds')) {
    const n = Number(value('rounds'));
    plan.send.rounds = plan.throughput.rounds = plan.heap.rounds = plan.signup.rounds = plan.flow.rounds = plan.tracing.rounds = n;
  }
  const wantedTransports = (value('transports') ?? (mode === 'smoke' ? 'memory' : transportKinds.join(','))).split(',') as TransportKind[];
  const wantBullmq = !has('no-bullmq') && mode !== 'smoke';
  const sections = new Set((value('sections') ?? 'signup,send,throughput,memory,flow,tracing').split(','));
  const allSections = ['signup', 'send', 'throughput', 'memory', 'flow', 'tracing'];
  for (const [what, given, known] of [
    ['transport', wantedTransports, transportKinds],
    ['section', [...sections], allSections],
  ] as const) {
    const wrong = given.filter((g) => !(known as readonly string[]).includes(g));
    if (wrong.length) {
      process.stderr.write(`unknown ${what} ${wrong.map((w) => JSON.stringify(w)).join(', ')}: choose from ${known.join(', ')}\n`);
      process.exit(2);
    }
  }
  return { mode, plan, wantedTransports, wantBullmq, sections, out: value('out') };
}
