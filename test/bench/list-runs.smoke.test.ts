/**
 * The run-query benchmark at a tiny size, end to end on Redis, NATS and
 * SQLite: its bulk loaders write what each transport's store would (the
 * benchmark checks every first page against the runs it stored, and fails
 * otherwise), and it prints one row per transport, size and query. No timing
 * is asserted. It runs the built code (dist/), building it when missing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = join(root, 'dist/bench/list-runs.js');

it('bench:list-runs stores runs in bulk, reads them back through listRuns and prints a row per case', () => {
  if (!existsSync(script)) {
    const built = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, encoding: 'utf8', timeout: 240_000 });
    expect(built.status, built.stderr).toBe(0);
  }
  const run = spawnSync(process.execPath, [script, '--runs', '600', '--scan-runs', '300', '--samples', '2'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(run.status, run.stderr).toBe(0);
  for (const transport of ['redis', 'nats', 'sqlite']) {
    for (const query of ['every run', 'one function', 'one function, failed']) {
      expect(run.stdout).toMatch(
        new RegExp(`^\\s+${transport}\\s+300\\s+${query}\\s+\\S+ [mµ]?s\\s+\\S+ [mµ]?s\\s+\\S+ [mµ]?s\\s+\\d+×$`, 'm'),
      );
      expect(run.stdout).toMatch(new RegExp(`^\\s+${transport}\\s+600\\s+${query}\\s+\\S+ [mµ]?s\\s+\\S+ [mµ]?s\\s+—\\s+—$`, 'm'));
    }
  }
}, 300_000);
