/**
 * `EVENTIDE_TRANSPORT=sqlite://./demo.db npm run demo`, twice: both runs
 * finish, and the second finds the first's runs in the file (what its
 * dashboard lists). Runs the built demo (dist/), as the npm script does.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, silentLogger } from '../../index.js';
import { fileFor, removeFile } from './sqlite.fixture.js';

const demo = join(import.meta.dirname, '../../dist/examples/demo.js');
const path = fileFor(`demo_${process.pid}`);

afterEach(async () => {
  await removeFile(path);
});

describe('the demo on a SQLite file', () => {
  it('works twice in a row, and the second run finds the first one’s runs', async () => {
    const env = { ...process.env, EVENTIDE_TRANSPORT: `sqlite://${path}`, EVENTIDE_NAMESPACE: 'demo' };
    const run = () => promisify(execFile)(process.execPath, [demo], { env, timeout: 30_000 });
    const first = await run();
    expect(first.stdout).toContain('9/9 runs succeeded.');
    expect(first.stdout).not.toContain('earlier demo runs');
    const second = await run();
    expect(second.stdout).toContain('9/9 runs succeeded.');
    expect(second.stdout).toContain('9 runs of earlier demo runs are still here');
    const reader = createRuntime({ transport: `sqlite://${path}`, namespace: 'demo', worker: false, logger: silentLogger });
    await reader.start();
    try {
      const runs = await reader.listRuns({ limit: 100 });
      expect(runs).toHaveLength(18);
      expect(runs.every((r) => r.status === 'succeeded')).toBe(true);
    } finally {
      await reader.stop();
    }
  }, 70_000);
});
