/**
 * Free TCP ports for servers a test starts itself. Every probe listener of a
 * batch stays open until the whole batch is chosen, so the OS cannot hand
 * the same port out twice within it; the caller closes them right before
 * spawning, which leaves only a short window to someone else on the machine
 * (see startOnFreePorts for what covers that window).
 */
import { createServer, type Server } from 'node:net';

export interface HeldPorts {
  ports: number[];
  /** Closes the probe listeners, so a server can bind their ports. */
  release(): Promise<void>;
}

function listen(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
}

function close(srv: Server): Promise<void> {
  return new Promise((resolve) => srv.close(() => resolve()));
}

export async function holdPorts(count: number): Promise<HeldPorts> {
  const held: Server[] = [];
  try {
    for (let i = 0; i < count; i++) held.push(await listen());
  } catch (e) {
    await Promise.all(held.map(close));
    throw e;
  }
  return {
    ports: held.map((srv) => (srv.address() as { port: number }).port),
    release: () => Promise.all(held.map(close)).then(() => undefined),
  };
}

/** A port nothing listens on (as of now), for tests of a client facing no server. */
export async function unusedPort(): Promise<number> {
  const { ports, release } = await holdPorts(1);
  await release();
  return ports[0];
}
