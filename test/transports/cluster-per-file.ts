/**
 * One Redis Cluster for a test file. It starts in beforeAll, where a timeout
 * applies (none does at a module's top level), and stops in afterAll. What
 * clusterPerFile returns reads through to that cluster, so it may be used
 * only inside tests and hooks, never while the file is being loaded.
 */
import { afterAll, beforeAll } from 'vitest';
import { CLUSTER_START_MS, startCluster, type ClusterShape, type OwnCluster } from './own-redis.js';

// Room for stopping what a failed start left running, after its own time is up.
const STOP_MS = 15_000;

export function clusterPerFile(shape?: ClusterShape): OwnCluster {
  let cluster: OwnCluster | undefined;
  beforeAll(async () => {
    cluster = await startCluster(shape);
  }, CLUSTER_START_MS + STOP_MS);
  afterAll(async () => {
    await cluster?.stop();
  }, STOP_MS);
  const current = () => {
    if (!cluster) throw new Error('the test cluster is not running: it failed to start (see the error of beforeAll)');
    return cluster;
  };
  return {
    get nodes() {
      return current().nodes;
    },
    get admins() {
      return current().admins;
    },
    ownerOf: (slot) => current().ownerOf(slot),
    namespaceOn: (node, prefix) => current().namespaceOn(node, prefix),
    moveSlot: (slot, to) => current().moveSlot(slot, to),
    startMove: (slot, to) => current().startMove(slot, to),
    kill: (node) => current().kill(node),
    stop: () => current().stop(),
  };
}
