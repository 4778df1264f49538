/**
 * Processes started together on a file that does not exist yet (a web
 * process and two workers brought up at once) all open it: one creates the
 * schema, the others wait for it rather than fail with LOCKED. Each sends an
 * event, and every event is there.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteTransport } from '../../transports/sqlite/index.js';
import { fileFor, removeFile } from './sqlite.fixture.js';

const script = join(import.meta.dirname, '../fixtures/open-sqlite.mjs');
const paths: string[] = [];

afterEach(async () => {
  for (const p of paths.splice(0)) await removeFile(p);
});

function openInAnotherProcess(path: string, msgId: string): Promise<unknown> {
  const child = fork(script, [], {
    env: { ...process.env, SQLITE_PATH: path, MSG_ID: msgId },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('a process said nothing within 20 s'));
    }, 20_000);
    child.once('message', (m) => {
      clearTimeout(timer);
      resolve(m);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`a process exited with ${code} without a word`));
    });
  });
}

describe('sqlite: processes started together on a new file', () => {
  it('all open it and send, five times over', async () => {
    for (let round = 0; round < 5; round++) {
      const path = fileFor(`first_open_${process.pid}_${round}`);
      paths.push(path);
      const said = await Promise.all(['web', 'worker-1', 'worker-2'].map((id) => openInAnotherProcess(path, id)));
      expect(said).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
      const t = createSqliteTransport({ path, namespace: 'app' });
      await t.connect();
      try {
        expect((await t.history('events', 10)).map((h) => h.id).sort()).toEqual(['web', 'worker-1', 'worker-2']);
      } finally {
        await t.close();
      }
    }
  }, 60_000);
});
