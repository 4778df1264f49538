/**
 * @module
 * Whether this process may write the file and what SQLite makes beside it,
 * asked of the file system before SQLite opens it. SQLite opens a file it
 * cannot write read-only without a word, and in WAL mode then creates the
 * `-shm` file with the database's own mode: a read-only `-shm` left behind
 * would keep the file read-only after its owner made it writable again.
 * Asking first refuses such a file while leaving nothing behind.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { TransportError } from '../../core/transport.js';

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Throws a READ_ONLY TransportError when `path`, its `-wal` or `-shm` file, or (for those still to be made) its directory cannot be written. */
export function checkWritable(path: string): void {
  const refuse = (what: string) =>
    new TransportError(
      `sqlite transport: ${path} cannot be written: ${what} is read-only to this process; nothing was opened or written. ` +
        'Every process on the file must be able to write it, its -wal and -shm files, and their directory',
      { code: 'READ_ONLY' },
    );
  const missing: string[] = [];
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    if (!existsSync(file)) missing.push(file);
    else if (!writable(file)) throw refuse(file === path ? 'the file' : `its ${file.slice(path.length + 1)} file`);
  }
  // A missing directory is SQLite's to report (CANNOT_OPEN).
  const dir = dirname(path);
  if (missing.length > 0 && existsSync(dir) && !writable(dir)) throw refuse(`its directory ${dir}`);
}
