/**
 * Starts servers on freshly chosen ports, and again on other ports when one
 * of them exits before answering: between the moment a port is released and
 * the moment a server binds it, another process on the machine may take it.
 */
import { holdPorts } from './ports.js';
import { ServerExitedError } from './server-process.js';

/** How many batches of ports a start may try. */
export const START_TRIES = 3;

/** `start` must leave nothing running when it throws. */
export async function startOnFreePorts<T>(count: number, start: (ports: number[]) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const held = await holdPorts(count);
    await held.release();
    try {
      return await start(held.ports);
    } catch (e) {
      if (!(e instanceof ServerExitedError) || attempt >= START_TRIES) throw e;
    }
  }
}
