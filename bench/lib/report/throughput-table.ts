/**
 * @module
 * Section 3 in the terminal: runs/s and start latency per transport, each
 * with its raw client floor, and BullMQ workers at each concurrency.
 */
import { isSkipped, type LatencyRow, type Results } from '../results.js';
import { fmtBytes, fmtRate, fmtRounds, fmtUs, table, type Rounds } from '../stats.js';
import { roundsNote } from './format.js';

export function throughputLines(throughput: Results['sections']['throughput']): string[] {
  const out: string[] = [];
  if (isSkipped(throughput)) out.push(`3. Background runs — skipped: ${throughput.skipped}`);
  else {
    const n = throughput.rows[0]?.oneStepRunsPerSec.values.length ?? throughput.bullmq[0]?.jobsPerSec.values.length ?? 0;
    out.push(
      `3. Background runs — runs/s from first send to last success, ${roundsNote(n)}, default concurrency (100 per function); one process per round`,
    );
    const lat = (t: string) => throughput.latency.find((l) => l.transport === t);
    const rows: string[][] = [['worker', 'one-step runs/s', '3-fn fan-out runs/s', 'start p50', 'start p99', 'peak RSS', 'Redis CPU/run']];
    const cpu = (r: Rounds | undefined) => (r ? fmtUs(r.median) : '');
    const floorRow = (f: LatencyRow | undefined, transport: string, raw?: Rounds, rawCpu?: Rounds) => [
      `${transport} raw floor`,
      raw ? fmtRounds(raw, (v) => fmtRate(v, '')) : '',
      '',
      fmtUs(f?.p50Us),
      fmtUs(f?.p99Us),
      '',
      cpu(rawCpu),
    ];
    for (const row of throughput.rows) {
      const l = lat(row.transport);
      rows.push([
        row.transport,
        fmtRounds(row.oneStepRunsPerSec, (v) => fmtRate(v, '')),
        fmtRounds(row.fanoutRunsPerSec, (v) => fmtRate(v, '')),
        fmtUs(l?.p50Us),
        fmtUs(l?.p99Us),
        fmtBytes(row.peakRssBytes),
        cpu(row.redisCpuUsPerRun),
      ]);
      const floor = throughput.rawFloor.find((f) => f.transport === row.transport);
      if (floor || row.rawOneStepRunsPerSec) rows.push(floorRow(floor, row.transport, row.rawOneStepRunsPerSec, row.rawRedisCpuUsPerRun));
    }
    // A floor still shows when its transport's throughput cases failed.
    for (const f of throughput.rawFloor)
      if (!throughput.rows.some((row) => row.transport === f.transport)) rows.push(floorRow(f, f.transport));
    for (const row of throughput.bullmq) {
      const l = row.concurrency === 1 ? lat('bullmq') : undefined;
      rows.push([
        `BullMQ c=${row.concurrency}`,
        fmtRounds(row.jobsPerSec, (v) => fmtRate(v, '')),
        '',
        l ? fmtUs(l.p50Us) : '',
        l ? fmtUs(l.p99Us) : '',
        fmtBytes(row.peakRssBytes),
        cpu(row.redisCpuUsPerJob),
      ]);
    }
    out.push(table(rows, { alignLeft: 1 }));
    out.push(
      '   start: event → function start at low load (one event at a time; timestamp in the event vs handler start), including send().',
    );
    out.push(
      "   Redis CPU/run: the Redis server's own CPU (INFO cpu) over the timed one-step pass, per run (BullMQ: per job), median of rounds.",
    );
    if (throughput.rawFloor.length || throughput.rows.some((row) => row.rawOneStepRunsPerSec)) {
      out.push(
        '   raw floor: the raw client in the same run, same protocol, no eventide code. runs/s: per event the server calls a one-step run makes',
      );
      out.push('   (nats.js: js.publish, pull, KV create, KV update, +ACK; ioredis: XADD, XREADGROUP, HSET, HSET + XACK, pipelined);');
      out.push(
        '   start: publish → receive (nats.js js.publish → pull consumer; ioredis XADD → XREADGROUP), each ack confirmed before the next publish.',
      );
    }
    for (const s of throughput.skipped) out.push(`   skipped ${s}`);
  }
  return out;
}
