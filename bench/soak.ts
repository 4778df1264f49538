/**
 * The soak: `npm run soak` (1,000,000 events on memory, 200,000 each on NATS and Redis, through one
 * worker; heap after GC and RSS sampled every 10 s).
 *
 *   node --expose-gc dist/bench/soak.js [--transports memory,nats,redis] [--events memory=1000000,nats=200000]
 *                                       [--sample-ms 10000] [--out DIR] [--chart docs/soak.svg]
 *
 * Each transport soaks in a process of its own, so none inherits another's heap (the memory transport's
 * hub lives as long as its process, as a server would). Writes the samples to
 * bench/results/soak-<timestamp>.json, renders the chart (SVG) into docs/, and prints per transport the
 * heap and RSS once warm, at the end and at most, and runs/s in the first and the last tenth of the runs.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cleanupNamespace, transportKinds, transportUrl, uniqueNamespace, type TransportKind } from './lib/env.js';
import { soakChart } from './lib/report/soak-chart.js';
import { soak, soakSummary, type SoakResult } from './lib/soak.js';

const { values } = parseArgs({
  options: {
    transports: { type: 'string', default: transportKinds.join(',') },
    events: { type: 'string', default: '' },
    'sample-ms': { type: 'string', default: '10000' },
    out: { type: 'string' },
    chart: { type: 'string' },
    // Internal: the transport's own process writes its result here.
    result: { type: 'string' },
  },
});
const defaults: Record<TransportKind, number> = { memory: 1_000_000, nats: 200_000, redis: 200_000 };
for (const pair of values.events.split(',').filter(Boolean)) {
  const [kind, n] = pair.split('=');
  if (!(kind in defaults) || !(Number(n) > 0)) throw new Error(`--events takes kind=count pairs (memory, nats, redis), not "${pair}"`);
  defaults[kind as TransportKind] = Number(n);
}
const kinds = values.transports.split(',').map((k) => {
  if (!transportKinds.includes(k as TransportKind)) throw new Error(`unknown transport "${k}" (memory, nats, redis)`);
  return k as TransportKind;
});
const sampleMs = Number(values['sample-ms']);
const outDir = values.out ?? fileURLToPath(new URL('../../bench/results/', import.meta.url));
const chartPath = values.chart ?? fileURLToPath(new URL('../../docs/soak.svg', import.meta.url));
const gc = (globalThis as { gc?: () => void }).gc;

async function soakHere(kind: TransportKind): Promise<SoakResult> {
  const namespace = uniqueNamespace(`soak${kind}`);
  try {
    const result = await soak({
      kind,
      url: transportUrl(kind),
      namespace,
      events: defaults[kind],
      sampleMs,
      gc,
      onSample: (s) =>
        process.stdout.write(
          `  ${(s.t / 1000).toFixed(0).padStart(5)} s  done ${String(s.done).padStart(8)}  heap ${(s.heapUsed / 1048576).toFixed(1).padStart(6)} MB  rss ${(s.rss / 1048576).toFixed(1).padStart(6)} MB  ${Math.round(s.runsPerSec).toString().padStart(6)} runs/s\n`,
        ),
    });
    process.stdout.write(`  ${JSON.stringify(soakSummary(result))}\n`);
    return result;
  } finally {
    await cleanupNamespace(kind, namespace).catch(() => 0);
  }
}

if (values.result) {
  writeFileSync(values.result, JSON.stringify(await soakHere(kinds[0])));
  process.exit(0);
}

const startedAt = new Date();
process.stdout.write(
  `eventide soak — ${cpus().length} cpus, load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}\n`,
);
const results: SoakResult[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'eventide-soak-'));
try {
  for (const kind of kinds) {
    process.stdout.write(`\n${kind}: ${defaults[kind].toLocaleString('en-US')} events\n`);
    const file = join(scratch, `${kind}.json`);
    const args = ['--expose-gc', fileURLToPath(import.meta.url), '--transports', kind, '--events', `${kind}=${defaults[kind]}`];
    const child = spawnSync(process.execPath, [...args, '--sample-ms', String(sampleMs), '--result', file], { stdio: 'inherit' });
    if (child.status !== 0) throw new Error(`the ${kind} soak failed (${child.status ?? child.signal})`);
    results.push(JSON.parse(readFileSync(file, 'utf8')) as SoakResult);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

mkdirSync(outDir, { recursive: true });
const file = join(outDir, `soak-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ startedAt, cpus: cpus().length, sampleMs, summaries: results.map(soakSummary), results }, null, 2));
const caption = `eventide soak, ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${cpus().length} cpus, one process (worker and producer), samples every ${sampleMs / 1000} s`;
writeFileSync(chartPath, soakChart(results, caption));
process.stdout.write(`\nsamples: ${file}\nchart: ${chartPath}\n`);
