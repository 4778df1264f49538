/**
 * What a consumer group has yet to settle, for metrics: read with plain
 * commands (every key carries the namespace's hash tag, so a cluster answers
 * from one node), not atomically: a gauge needs no snapshot.
 *
 *   ready     the group's lag on the subject's stream, plus entries of its retry stream not yet read
 *   in flight entries read and not yet acked (XPENDING of both streams)
 *   delayed   the subject's delayed publishes not yet due, plus the group's retries not yet due
 */
import type { Backlog } from '../../core/transport.js';
import type { GroupKeys, SubjectKeys } from './keys.js';
import type { ScriptedRedis } from './scripts/index.js';

interface GroupInfo {
  pending: number;
  lag: number | null;
  lastId: string;
}

async function groupInfo(cmd: ScriptedRedis, stream: string, group: string): Promise<GroupInfo | undefined> {
  let reply: unknown;
  try {
    reply = await cmd.call('XINFO', 'GROUPS', stream);
  } catch (err) {
    // No stream yet: nothing was ever published or retried there.
    if (/no such key/i.test((err as Error).message)) return undefined;
    throw err;
  }
  for (const row of reply as unknown[][]) {
    const f = new Map<string, unknown>();
    for (let i = 0; i + 1 < row.length; i += 2) f.set(String(row[i]), row[i + 1]);
    if (String(f.get('name')) !== group) continue;
    const lag = f.get('lag');
    return {
      pending: Number(f.get('pending') ?? 0),
      lag: lag === null || lag === undefined ? null : Number(lag),
      lastId: String(f.get('last-delivered-id')),
    };
  }
  return undefined;
}

/** Entries after the group's last delivered one, when Redis cannot tell the lag (a deleted entry in the range). */
async function unread(cmd: ScriptedRedis, stream: string, info: GroupInfo): Promise<number> {
  if (info.lag !== null) return info.lag;
  const entries = (await cmd.call('XRANGE', stream, `(${info.lastId}`, '+', 'COUNT', '100000')) as unknown[];
  return entries.length;
}

export async function readBacklog(cmd: ScriptedRedis, subject: SubjectKeys, group: GroupKeys, name: string): Promise<Backlog> {
  const [main, retries, delayed, retryDue] = await Promise.all([
    groupInfo(cmd, subject.stream, name),
    groupInfo(cmd, group.retryStream, name),
    cmd.zcard(subject.delayed),
    cmd.zcard(group.retryDue),
  ]);
  // A group not made yet has nothing of its own, not even the subject's delayed publishes (they reach only groups that exist when due).
  if (!main && !retries) return { ready: 0, delayed: 0, inFlight: 0 };
  const ready = (main ? await unread(cmd, subject.stream, main) : 0) + (retries ? await unread(cmd, group.retryStream, retries) : 0);
  return { ready, delayed: delayed + retryDue, inFlight: (main?.pending ?? 0) + (retries?.pending ?? 0) };
}
