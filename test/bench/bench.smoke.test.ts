/**
 * The benchmark suite in its tiny mode (`--smoke`: memory only, a handful of
 * requests, about 15 s): it runs end to end and writes well-formed results.
 * No timing is asserted; a noisy machine must not fail this test.
 *
 * Like the crash suite it runs the built code (dist/): the suite spawns
 * child processes (signup service, third-party server, one process per
 * measurement), which need compiled JS. `npm test` builds first; when
 * dist/bench/run.js is missing this test builds it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const runner = join(root, 'dist/bench/run.js');
const out = mkdtempSync(join(tmpdir(), 'eventide-bench-smoke-'));

interface Rounds {
  values: number[];
  min: number;
  median: number;
  max: number;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
let results: any;
let html = '';
let stdout = '';

const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const finiteRounds = (r: Rounds) => {
  expect(r.values.length).toBeGreaterThan(0);
  for (const v of [...r.values, r.min, r.median, r.max]) expect(finite(v), `${JSON.stringify(r)} has a non-finite number`).toBe(true);
};

// What beforeAll may take; its own waits end within it, so a stuck build or bench fails with its output instead of a bare timeout.
const SETUP_MS = 120_000;

beforeAll(async () => {
  const end = Date.now() + SETUP_MS - 10_000;
  if (!existsSync(runner)) {
    // Type errors elsewhere in the tree must not stop the bench from being emitted.
    spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], {
      cwd: root,
      stdio: 'ignore',
      // A synchronous child blocks the event loop, vitest's timeout included: it needs a limit of its own.
      timeout: (end - Date.now()) / 2,
      killSignal: 'SIGKILL',
    });
  }
  expect(existsSync(runner), 'dist/bench/run.js: run `npm run build` first').toBe(true);
  const code = await new Promise<number | null>((resolve) => {
    // A process group of its own, so that a bench stuck past its time goes together with the children it started.
    const child = spawn(process.execPath, [runner, '--smoke', '--out', out], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const overtime = setTimeout(
      () => {
        stdout += '\n[bench.smoke.test] the bench did not finish in time: interrupted\n';
        // SIGINT first: the bench then ends its children and removes what it created.
        child.kill('SIGINT');
        setTimeout(() => {
          try {
            if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
          } catch {
            // the whole group has already gone
          }
        }, 5_000).unref();
      },
      Math.max(0, end - Date.now() - 5_000),
    );
    child.on('exit', (exitCode) => {
      clearTimeout(overtime);
      resolve(exitCode);
    });
  });
  expect(code, stdout.slice(-3000)).toBe(0);
  const files = readdirSync(out);
  const json = files.find((f) => f.endsWith('.json'));
  const page = files.find((f) => f.endsWith('.html'));
  expect(json, `no results JSON in ${out}: ${files.join(', ')}`).toBeDefined();
  expect(page, `no HTML report in ${out}`).toBeDefined();
  results = JSON.parse(readFileSync(join(out, json as string), 'utf8'));
  html = readFileSync(join(out, page as string), 'utf8');
}, SETUP_MS);

afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('bench suite, --smoke', () => {
  it('says what ran and on what', () => {
    expect(results.version).toBe(1);
    expect(results.mode).toBe('smoke');
    expect(finite(results.seconds)).toBe(true);
    expect(results.transports.memory.ok).toBe(true);
    for (const k of ['nats', 'redis', 'bullmq']) {
      expect(typeof results.transports[k].ok).toBe('boolean');
      if (!results.transports[k].ok) expect(typeof results.transports[k].reason).toBe('string');
    }
    expect(results.errors).toEqual([]);
  });

  it('has the signup section: baseline, sync and async on memory, with finite figures', () => {
    const { rows } = results.sections.signup;
    for (const [endpoint, variant] of [
      ['baseline', 'none'],
      ['sync', 'none'],
      ['async', 'memory'],
    ]) {
      const row = rows.find((r: { endpoint: string; variant: string }) => r.endpoint === endpoint && r.variant === variant);
      expect(row, `${endpoint} on ${variant}`).toBeDefined();
      for (const r of [row.reqPerSec, row.p50, row.p90, row.p99, row.max]) finiteRounds(r);
      expect(row.accepted).toBeGreaterThan(0);
      expect(finite(row.non2xxShare)).toBe(true);
      expect(row.rounds[0].curve.every(finite)).toBe(true);
      if (endpoint !== 'sync') expect(finite(row.criticalP50Us)).toBe(true);
      if (endpoint === 'async') {
        expect(row.settled).toBe(true);
        for (const k of ['trial', 'email', 'newsletter']) expect(finite(row.perAccepted[k])).toBe(true);
        expect(Number.isInteger(row.lost)).toBe(true);
      }
    }
  });

  it('has the send section: runtime.send() next to the raw op, with a ratio', () => {
    const mem = results.sections.send.rows.find((r: { transport: string }) => r.transport === 'memory');
    expect(mem).toBeDefined();
    finiteRounds(mem.us.send);
    finiteRounds(mem.us.raw);
    finiteRounds(mem.loopP50Us.send);
    finiteRounds(mem.loopP99Us.send);
    finiteRounds(mem.sendOverRaw);
  });

  it('has the throughput section: one-step and fan-out runs/s, start latency, peak RSS', () => {
    const t = results.sections.throughput;
    const mem = t.rows.find((r: { transport: string }) => r.transport === 'memory');
    finiteRounds(mem.oneStepRunsPerSec);
    finiteRounds(mem.fanoutRunsPerSec);
    expect(mem.peakRssBytes).toBeGreaterThan(0);
    const lat = t.latency.find((r: { transport: string }) => r.transport === 'memory');
    for (const k of ['p50Us', 'p90Us', 'p99Us', 'maxUs']) expect(finite(lat[k])).toBe(true);
    expect(Array.isArray(t.bullmq)).toBe(true);
  });

  it('has the memory section: heap per sleeping run', () => {
    const m = results.sections.memory;
    finiteRounds(m.heapPerRunBytes);
    expect(m.heapPerRunBytes.median).toBeGreaterThan(0);
    expect(m.recordBytes).toBeGreaterThan(0);
  });

  it('computes goals from the figures, and renders the tables and charts', () => {
    expect(results.goals.length).toBeGreaterThan(0);
    for (const g of results.goals) {
      expect(typeof g.text).toBe('string');
      expect([true, false, null]).toContain(g.pass);
    }
    expect(stdout).toContain('Goals');
    expect(html).toContain('<svg');
    expect(html).toContain('Latency distribution');
  });
});
