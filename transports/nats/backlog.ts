/**
 * What a consumer group has yet to settle, for metrics, from JetStream's own
 * counts:
 *
 *   ready     the group's durable consumer: messages not yet delivered (num_pending)
 *   in flight delivered and not yet acked (num_ack_pending); on NATS this also holds
 *             retries and sleeps waiting out their delay, which the server keeps as
 *             unacked deliveries it will send again (a NAK with a delay)
 *   delayed   the subject's delayed publishes still in the namespace's `_delayed` stream
 */
import type { JetStreamManager } from 'nats';
import type { Backlog } from '../../core/transport.js';
import { consumerName, type Names } from './names.js';

const missing = (e: unknown) => /not found/i.test((e as Error).message);
const orNone = <T>(p: Promise<T>): Promise<T | undefined> => p.catch((e: unknown) => (missing(e) ? undefined : Promise.reject(e as Error)));
const total = (subjects: Record<string, number> | undefined) => Object.values(subjects ?? {}).reduce((a, n) => a + n, 0);

export async function readBacklog(jsm: JetStreamManager, names: Names, subject: string, group: string): Promise<Backlog> {
  const delayed = names.delayedPrefix + names.subject(subject).slice(names.root.length);
  const [consumer, topics, plain] = await Promise.all([
    orNone(jsm.consumers.info(names.stream(subject), consumerName(subject, group))),
    // Delayed publishes with a topic sit under `<subject>.<topic>`; `x.>` does not match `x` itself, hence two filters.
    orNone(jsm.streams.info(names.delayed, { subjects_filter: `${delayed}.>` })),
    orNone(jsm.streams.info(names.delayed, { subjects_filter: delayed })),
  ]);
  // A group not made yet has nothing of its own, not even the subject's delayed publishes (they reach only groups that exist when due).
  if (!consumer) return { ready: 0, delayed: 0, inFlight: 0 };
  return {
    ready: consumer.num_pending,
    inFlight: consumer.num_ack_pending,
    delayed: total(topics?.state.subjects) + total(plain?.state.subjects),
  };
}

export async function countDeadLetters(jsm: JetStreamManager, names: Names): Promise<number> {
  const info = await orNone(jsm.streams.info(names.dead));
  return info?.state.messages ?? 0;
}
