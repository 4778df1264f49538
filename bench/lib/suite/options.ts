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
                         [--sections signup,send,throughput,memory,flow] [--out DIR]
                         [--duration S] [--connections 10,50] [--rounds N]`;

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
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const mode: Mode = has('smoke') ? 'smoke' : has('full') ? 'full' : 'quick';

  const plan = plans[mode];
  if (value('duration')) plan.signup.durationS = Number(value('duration'));
  if (value('connections')) plan.signup.connections = String(value('connections')).split(',').map(Number);
  if (value('rounds')) {
    const n = Number(value('rounds'));
    plan.send.rounds = plan.throughput.rounds = plan.heap.rounds = plan.signup.rounds = plan.flow.rounds = n;
  }
  const wantedTransports = (value('transports') ?? (mode === 'smoke' ? 'memory' : transportKinds.join(','))).split(',') as TransportKind[];
  const wantBullmq = !has('no-bullmq') && mode !== 'smoke';
  const sections = new Set((value('sections') ?? 'signup,send,throughput,memory,flow').split(','));
  const allSections = ['signup', 'send', 'throughput', 'memory', 'flow'];
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
