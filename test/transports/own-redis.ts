/**
 * Redis servers a test starts for itself, never the shared one: on free
 * ports, in a temporary directory, killed and removed after.
 */
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { removeWithThisProcess } from '../servers/die-with-this-process.js';
import { startOnFreePorts } from '../servers/on-free-ports.js';
import { startRedis } from '../servers/redis-server.js';
import { ServerExitedError, sleep, stopProcess, type ServerProcess } from '../servers/server-process.js';

export { sleep };

/** What startCluster may take at most, failed attempts on taken ports included. */
export const CLUSTER_START_MS = 60_000;

export interface OwnCluster {
  /** Seed nodes, masters first, then replicas: `redis://127.0.0.1:<port>`. */
  nodes: string[];
  /** A connection to each node, in the order of `nodes`, for looking at what it holds. */
  admins: Redis[];
  /** Which node (index into `nodes`) serves a slot now, as the live nodes see it. */
  ownerOf(slot: number): Promise<number>;
  /** A fresh namespace (`<prefix>_…`) whose slot node `node` serves. */
  namespaceOn(node: number, prefix: string): Promise<{ ns: string; slot: number }>;
  /** Reshards: moves a slot and its keys to master `to`, as redis-cli --cluster reshard does, while clients go on using it. */
  moveSlot(slot: number, to: number): Promise<void>;
  /** The first half of moveSlot: the slot is marked as moving, no key has moved yet; call what it returns to finish. */
  startMove(slot: number, to: number): Promise<() => Promise<void>>;
  /** kill -9 of one node. */
  kill(node: number): Promise<void>;
  stop(): Promise<void>;
}

export interface ClusterShape {
  masters?: number;
  /** Replicas of each master. */
  replicas?: number;
  /** cluster-node-timeout: how long a silent master takes to be failed over. */
  nodeTimeoutMs?: number;
}

/**
 * A Redis Cluster, the 16384 slots split evenly over its masters, made by
 * hand (CLUSTER ADDSLOTSRANGE, MEET, REPLICATE) so that it needs nothing
 * beyond redis-server. Resolves once every node reports the cluster ok and
 * knows every other node, and every replica is in sync with its master.
 */
export async function startCluster({ masters = 3, replicas = 0, nodeTimeoutMs = 5000 }: ClusterShape = {}): Promise<OwnCluster> {
  const deadline = Date.now() + CLUSTER_START_MS;
  const dir = removeWithThisProcess(mkdtempSync(join(tmpdir(), 'eventide-cluster-')));
  let servers: ServerProcess[] = [];
  const admins: Redis[] = [];
  const dead = new Set<number>();
  const stop = async () => {
    for (const a of admins) a.disconnect();
    await Promise.all(servers.map((s) => stopProcess(s.child)));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const total = masters * (1 + replicas);
    const ports: { port: number; bus: number }[] = [];
    // Every node on a port and a bus port chosen together; a node that cannot bind them sends the whole set to other ports.
    servers = await startOnFreePorts(total * 2, async (free) => {
      ports.splice(0, ports.length, ...Array.from({ length: total }, (_, i) => ({ port: free[2 * i], bus: free[2 * i + 1] })));
      const starts = await Promise.allSettled(
        ports.map(({ port, bus }) => {
          const home = join(dir, String(port));
          rmSync(home, { recursive: true, force: true });
          mkdirSync(home);
          // The bus port is set explicitly: the default, port + 10000, may be taken or past 65535.
          const args = [
            '--cluster-port',
            String(bus),
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            join(home, 'nodes.conf'),
            '--cluster-node-timeout',
            String(nodeTimeoutMs),
            '--appendonly',
            'no',
            '--save',
            '',
            '--dir',
            home,
          ];
          return startRedis(port, args);
        }),
      );
      const failed = starts.flatMap((s) => (s.status === 'rejected' ? [s.reason as Error] : []));
      const started = starts.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      if (failed.length === 0) return started;
      await Promise.all(started.map((s) => stopProcess(s.child)));
      throw failed.find((e) => e instanceof ServerExitedError) ?? failed[0];
    });
    for (const { port } of ports) {
      // Bounded, so that a node that stops answering fails the start (or a test) instead of holding it.
      const admin = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1, commandTimeout: 10_000 });
      admin.on('error', () => {});
      admins.push(admin);
    }
    const ids = await Promise.all(admins.map((a) => a.call('CLUSTER', 'MYID') as Promise<string>));
    const per = Math.ceil(16384 / masters);
    for (let i = 0; i < masters; i++) await admins[i].call('CLUSTER', 'ADDSLOTSRANGE', i * per, Math.min(16383, (i + 1) * per - 1));
    // Distinct epochs, as redis-cli --cluster create sets them, so no two masters ever claim a slot with the same one.
    for (const [i, admin] of admins.entries()) await admin.call('CLUSTER', 'SET-CONFIG-EPOCH', i + 1);
    for (const { port, bus } of ports.slice(1)) await admins[0].call('CLUSTER', 'MEET', '127.0.0.1', port, bus);
    const infos = () => Promise.all(admins.map((a) => a.call('CLUSTER', 'INFO') as Promise<string>));
    const until = async (what: string, check: () => Promise<boolean>) => {
      const end = Math.min(Date.now() + 20_000, deadline);
      while (!(await check())) {
        if (Date.now() > end) throw new Error(`the test cluster did not come up: ${what}`);
        await sleep(100);
      }
    };
    await until('every node to know every other', async () =>
      (await infos()).every((info) => info.includes(`cluster_known_nodes:${total}`)),
    );
    for (let r = masters; r < total; r++) await admins[r].call('CLUSTER', 'REPLICATE', ids[(r - masters) % masters]);
    await until('the cluster to be ok', async () => (await infos()).every((info) => info.includes('cluster_state:ok')));
    await until('every replica to be in sync', async () => {
      const links = await Promise.all(admins.slice(masters).map((a) => a.info('replication')));
      return links.every((info) => info.includes('master_link_status:up'));
    });
    const live = () => admins.find((_, i) => !dead.has(i)) as Redis;
    const ownerOf = async (slot: number) => {
      // CLUSTER NODES: "<id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slot or range>...".
      for (const line of String(await live().call('CLUSTER', 'NODES')).split('\n')) {
        const [id, , flags, , , , , , ...ranges] = line.split(' ');
        if (!flags || flags.includes('fail')) continue;
        for (const r of ranges) {
          if (r.startsWith('[')) continue; // a slot being migrated or imported
          const [from, to = from] = r.split('-').map(Number);
          if (slot >= from && slot <= to) return ids.indexOf(id);
        }
      }
      throw new Error(`no live master serves slot ${slot}`);
    };
    let made = 0;
    const namespaceOn = async (node: number, prefix: string) => {
      // A master holds a third of the slots or so: a node that never matches within this many holds none.
      for (let tries = 0; tries < 1_000; tries++) {
        const ns = `${prefix}_${process.pid}_${Date.now().toString(36)}_${made++}`;
        const slot = Number(await live().call('CLUSTER', 'KEYSLOT', `{${ns}}`));
        if ((await ownerOf(slot)) === node) return { ns, slot };
      }
      throw new Error(`node ${node} serves none of the slots tried`);
    };
    /** Marks a slot as moving (MIGRATING / IMPORTING) and returns what moves its keys and hands it over. */
    const startMove = async (slot: number, to: number) => {
      const from = await ownerOf(slot);
      if (from === to) return async () => {};
      await admins[to].call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', ids[from]);
      await admins[from].call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', ids[to]);
      return async () => {
        // Every key first, then the new owner: a master that learns it lost a slot deletes the keys it still holds there.
        const end = Date.now() + 30_000;
        for (;;) {
          if (Date.now() > end) throw new Error(`slot ${slot} still holds keys on node ${from} after 30 s of moving them`);
          const keys = (await admins[from].call('CLUSTER', 'GETKEYSINSLOT', slot, 50)) as string[];
          if (keys.length === 0) break;
          await admins[from].call('MIGRATE', '127.0.0.1', ports[to].port, '', 0, 5000, 'KEYS', ...keys);
        }
        // The new owner first, then the old one (which from then on answers MOVED), then everyone else.
        for (const a of [admins[to], admins[from], ...admins.filter((_, i) => !dead.has(i))])
          await a.call('CLUSTER', 'SETSLOT', slot, 'NODE', ids[to]);
      };
    };
    const kill = async (node: number) => {
      dead.add(node);
      admins[node].disconnect();
      await stopProcess(servers[node].child);
    };
    return {
      nodes: ports.map(({ port }) => `redis://127.0.0.1:${port}`),
      admins,
      ownerOf,
      namespaceOn,
      startMove,
      moveSlot: async (slot, to) => (await startMove(slot, to))(),
      kill,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
