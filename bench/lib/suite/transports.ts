/**
 * @module
 * Which transports this run can measure: each requested one must start a
 * runtime and run a function, and BullMQ needs Redis to answer.
 */
import { natsUp, probeTransport, redisUp, transportKinds, urls, type TransportKind } from '../env.js';
import type { Mode, Results } from '../results.js';

export async function probeTransports(
  mode: Mode,
  wantedTransports: TransportKind[],
  wantBullmq: boolean,
  progress: (line: string) => void,
): Promise<Results['transports']> {
  const transports: Results['transports'] = {
    memory: { ok: false, reason: 'not requested' },
    nats: { ok: false, reason: 'not requested' },
    redis: { ok: false, reason: 'not requested' },
    bullmq: { ok: false, reason: mode === 'smoke' ? '--smoke runs memory only' : 'not requested' },
  };
  for (const kind of transportKinds) {
    if (!wantedTransports.includes(kind)) continue;
    // A server that is down is said so plainly, before the runtime's own error.
    const server = kind === 'nats' ? await natsUp() : kind === 'redis' ? await redisUp() : { ok: true };
    transports[kind] = server.ok
      ? await probeTransport(kind)
      : { ok: false, reason: `${urls[kind as 'nats' | 'redis']} is not answering: ${server.reason}` };
    progress(transports[kind].ok ? `${kind}: ok` : `skipped ${kind}: ${transports[kind].reason}`);
  }
  if (wantBullmq) {
    const up = await redisUp();
    transports.bullmq = up.ok ? { ok: true } : { ok: false, reason: `Redis at ${urls.redis} is not answering: ${up.reason}` };
    progress(transports.bullmq.ok ? 'bullmq: ok (same Redis)' : `skipped bullmq: ${transports.bullmq.reason}`);
  }
  return transports;
}
