/**
 * @module
 * A look at the file's first 100 bytes before SQLite opens it. SQLite reads
 * pages past the end of a truncated file as zeroes and may only notice much
 * later, in the middle of some query; a header that promises more pages
 * than the file has is caught here instead, with an error that says so.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { TransportError } from '../../core/transport.js';

const magic = 'SQLite format 3\u0000';

function sizeOf(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}

/** Throws a CORRUPT TransportError when `path` exists but cannot be a whole SQLite file; a missing or empty file is a new one. */
export function checkHeader(path: string): void {
  const size = sizeOf(path);
  if (!size) return;
  const header = Buffer.alloc(100);
  const fd = openSync(path, 'r');
  let read: number;
  try {
    read = readSync(fd, header, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  const corrupt = (why: string) =>
    new TransportError(
      `sqlite transport: ${path} ${why}; nothing was written to it. Restore it from a backup, or point eventide at another file`,
      {
        code: 'CORRUPT',
      },
    );
  if (read < 100 || header.toString('latin1', 0, 16) !== magic)
    throw corrupt('is not a SQLite database (its header is missing or damaged)');
  const rawPageSize = header.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65_536 : rawPageSize;
  const pages = header.readUInt32BE(28);
  // The page count in the header is only trusted by SQLite when these two counters agree.
  const countValid = header.readUInt32BE(24) === header.readUInt32BE(92);
  // Pages still in the write-ahead log are replayed on open, so only a file without one must hold every page itself.
  const walSize = sizeOf(`${path}-wal`) ?? 0;
  if (countValid && walSize === 0 && pages * pageSize > size) {
    throw corrupt(`is truncated: its header promises ${pages} pages of ${pageSize} bytes, the file has ${size} bytes`);
  }
}
