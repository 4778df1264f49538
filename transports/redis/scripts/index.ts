/**
 * Every script the Redis transport runs, registered on each connection as a
 * custom command (ioredis sends EVALSHA and falls back to EVAL after a
 * server restart emptied the script cache).
 */
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { ackRetried } from './ack-retried.js';
import { commit } from './commit.js';
import { deadLetter } from './dead-letter.js';
import { ensureGroups } from './ensure-groups.js';
import { extendLease } from './extend-lease.js';
import { kvDelete, kvWrite } from './kv.js';
import { moveDue } from './move-due.js';
import { publish, publishOne } from './publish.js';
import { rateReserve, rateTake } from './rates.js';
import { reclaim, type ReclaimedEntry } from './reclaim.js';
import { requeue } from './requeue.js';
import { retireConsumers } from './retire-consumers.js';
import { slotAcquire, slotCount, slotReclaim, slotRelease, slotRenew } from './slots.js';

export const scripts = {
  eventidePublish: publish,
  eventidePublishOne: publishOne,
  eventideMoveDue: moveDue,
  eventideRequeue: requeue,
  eventideDeadLetter: deadLetter,
  eventideExtendLease: extendLease,
  eventideAckRetried: ackRetried,
  eventideReclaim: reclaim,
  eventideEnsureGroups: ensureGroups,
  eventideRetireConsumers: retireConsumers,
  eventideKvWrite: kvWrite,
  eventideKvDelete: kvDelete,
  eventideCommit: commit,
  eventideSlotAcquire: slotAcquire,
  eventideSlotRelease: slotRelease,
  eventideSlotRenew: slotRenew,
  eventideSlotReclaim: slotReclaim,
  eventideSlotCount: slotCount,
  eventideRateReserve: rateReserve,
  eventideRateTake: rateTake,
} satisfies NonNullable<RedisOptions['scripts']>;

type Arg = string | Buffer | number;
type Cmd<R> = (...args: Arg[]) => Promise<R>;

/** A connection (to one server or a cluster) with the transport's scripts registered. */
export type ScriptedRedis = (Redis | Cluster) & {
  /** Variadic: the first argument is the number of keys. */
  eventidePublish: Cmd<number[]>;
  eventidePublishOne: Cmd<number>;
  eventideMoveDue: Cmd<number>;
  eventideRequeue: Cmd<number>;
  eventideDeadLetter: Cmd<number>;
  eventideExtendLease: Cmd<number>;
  eventideAckRetried: Cmd<number>;
  eventideReclaimBuffer: Cmd<[Buffer, Buffer, ReclaimedEntry[]]>;
  eventideEnsureGroups: Cmd<number>;
  eventideRetireConsumers: Cmd<number>;
  /** Variadic: the first argument is the number of keys. */
  eventideKvWrite: Cmd<number[]>;
  eventideKvDelete: Cmd<number>;
  /** Variadic: the first argument is the number of keys. */
  eventideCommit: Cmd<number[]>;
  eventideSlotAcquire: Cmd<number>;
  eventideSlotRelease: Cmd<number>;
  eventideSlotRenew: Cmd<number>;
  eventideSlotReclaim: Cmd<[freed: number, more: number]>;
  eventideSlotCount: Cmd<[held: number, waiting: number]>;
  eventideRateReserve: Cmd<number>;
  eventideRateTake: Cmd<number>;
};
