/**
 * The Redis transport's limit primitives against raw floors on the same
 * server, in one run, rounds alternating so drift and noise hit all of them:
 *
 *   - slots.acquire + slots.release (one slot taken and given back: two
 *     script calls) and rates.reserve (one script call);
 *   - floors: EVALSHA of a script that only returns, and a bare INCR, on a
 *     plain ioredis client configured as the transport's command connection.
 *
 * Each is measured one call in flight (round-trip bound) and with many in
 * flight (server bound; slots on a key per caller, so nobody parks).
 *
 * Build and run: npx tsc -p tsconfig.build.json && node dist/bench/redis-limits.js
 * Environment: REDIS_URL (default redis://127.0.0.1:6379), ROUNDS, QUICK=1.
 */
import { Redis } from 'ioredis';
import { createRedisTransport, destroyNamespace } from '../transports/redis/index.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const quick = process.env.QUICK === '1';
const ROUNDS = Number(process.env.ROUNDS ?? (quick ? 3 : 7));
const SEQ_OPS = quick ? 1000 : 4000;
const PIPE_OPS = quick ? 10_000 : 40_000;
const IN_FLIGHT = 100;

const ns = `bench_limits_${process.pid}_${Date.now().toString(36)}`;
const now = () => Number(process.hrtime.bigint()) / 1000; // µs

function summary(values: number[]): { min: number; med: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  return { min: s[0], med: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
}
const fk = (n: number) => `${(n / 1000).toFixed(1)}k/s`;
const row = (label: string, s: { min: number; med: number; max: number }, fmt: (n: number) => string) =>
  `  ${label.padEnd(40)} min ${fmt(s.min).padStart(9)}  median ${fmt(s.med).padStart(9)}  max ${fmt(s.max).padStart(9)}`;

/** Operations per second of `op` with `window` callers, each making its calls one after another. */
async function rate(op: (caller: number, i: number) => Promise<unknown>, ops: number, window: number): Promise<number> {
  const t0 = now();
  let next = 0;
  await Promise.all(
    Array.from({ length: window }, async (_, caller) => {
      while (next < ops) await op(caller, next++);
    }),
  );
  return (ops / (now() - t0)) * 1e6;
}

type Raw = Redis & { trivial(key: string): Promise<number> };

async function main() {
  console.log(`eventide Redis limits benchmark — ${url}, ${ROUNDS} rounds, node ${process.version}`);
  const t = createRedisTransport({ url, namespace: ns });
  await t.connect();
  const raw = new Redis(url, { enableAutoPipelining: false, commandTimeout: 5000 }) as Raw;
  raw.defineCommand('trivial', { numberOfKeys: 1, lua: 'return 1' });
  const rawKey = `{${ns}}:floor`;

  const cases: [string, (caller: number, i: number) => Promise<unknown>][] = [
    [
      'slots.acquire + release (2 scripts)',
      async (caller) => {
        await t.slots.acquire(`k${caller}`, 'h', 1, 30_000);
        await t.slots.release(`k${caller}`, 'h');
      },
    ],
    ['rates.reserve', (caller) => t.rates.reserve(`r${caller}`, 1_000_000, 1_000, 0)],
    ['floor: EVALSHA return 1', () => raw.trivial(rawKey)],
    ['floor: 2 × EVALSHA return 1', async () => (await raw.trivial(rawKey)) + (await raw.trivial(rawKey))],
    ['floor: INCR', () => raw.incr(rawKey)],
  ];

  // Warm up: scripts loaded, code paths compiled.
  for (const [, op] of cases) await rate(op, 500, 10);

  for (const [title, ops, window] of [
    ['one call in flight', SEQ_OPS, 1],
    [`${IN_FLIGHT} callers in flight`, PIPE_OPS, IN_FLIGHT],
  ] as const) {
    const samples = cases.map(() => [] as number[]);
    for (let r = 0; r < ROUNDS; r++) for (let c = 0; c < cases.length; c++) samples[c].push(await rate(cases[c][1], ops, window));
    console.log(`\n${title} (${ops} ops a round)`);
    for (let c = 0; c < cases.length; c++) console.log(row(cases[c][0], summary(samples[c]), fk));
    const ratio = (a: number, b: number) => samples[a].map((x, i) => x / samples[b][i]);
    const fx = (n: number) => `${n.toFixed(2)}×`;
    console.log(row('acquire + release / 2 × EVALSHA', summary(ratio(0, 3)), fx));
    console.log(row('reserve / EVALSHA', summary(ratio(1, 2)), fx));
  }

  await t.close();
  await destroyNamespace(raw, ns);
  raw.disconnect();
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
