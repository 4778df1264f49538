/**
 * @module
 * A function's limits as plain data, for `listFunctions`, the HTTP API and
 * the dashboard: what each limit is and whether it counts per key.
 */
import type { FlowControl } from './config.js';

export interface FlowDescription {
  concurrency?: { option: string; limit: number; perKey: boolean }[];
  throttle?: { limit: number; periodMs: number; burst: number; perKey: boolean };
  priority?: boolean;
}

export function describeFlow(flow: FlowControl): FlowDescription {
  return {
    ...(flow.concurrency.length > 0
      ? { concurrency: flow.concurrency.map((c) => ({ option: c.option, limit: c.limit, perKey: c.key !== undefined })) }
      : {}),
    ...(flow.throttle
      ? {
          throttle: {
            limit: flow.throttle.limit,
            periodMs: flow.throttle.periodMs,
            burst: flow.throttle.burst,
            perKey: flow.throttle.key !== undefined,
          },
        }
      : {}),
    ...(flow.priority ? { priority: true } : {}),
  };
}
