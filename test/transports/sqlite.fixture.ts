/** Temporary database files for the SQLite tests: one per namespace (so one per test), removed with their WAL and shared-memory files. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'eventide-sqlite-'));

/** The file a test on `namespace` uses. */
export const fileFor = (namespace: string): string => join(dir, `${namespace}.db`);

export const urlFor = (namespace: string): string => `sqlite://${fileFor(namespace)}`;

export async function removeFile(path: string): Promise<void> {
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
}
