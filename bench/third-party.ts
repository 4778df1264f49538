/**
 * The three third-party services of the signup benchmark (trial, email,
 * newsletter) as one real HTTP server in its own process, with a
 * configurable latency distribution and failure rate.
 *
 *   node dist/bench/third-party.js '{"latency":{"minMs":80,"medianMs":140,"sigma":0.6,"maxMs":3000},"failRate":0.05}'
 *
 * POST /trial | /email | /newsletter  {"userId": "..."}
 *   waits a latency drawn from a shifted lognormal (min + (median − min)·e^(σ·N(0,1)),
 *   capped at maxMs: 80–250 ms for most calls with a long tail), then answers
 *   500 with probability failRate (recording nothing), else 200 and records
 *   the entry. Entries are idempotent by (kind, userId): a repeat is counted
 *   as a duplicate, not as a second entry.
 * GET /stats?prefix=P  what was received for userIds starting with P.
 *
 * Prints `LISTENING <port>` once ready.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exitWithParent } from './lib/child.js';
import { defaultThirdParty, drawLatency, kinds, type ThirdPartyConfig, type ThirdPartyStats } from './lib/signup-model.js';

interface UserCounts {
  entries: number[];
  calls: number[];
  failures: number[];
  duplicates: number[];
}

exitWithParent();
const config: ThirdPartyConfig = { ...defaultThirdParty, ...(JSON.parse(process.argv[2] ?? '{}') as Partial<ThirdPartyConfig>) };
const users = new Map<string, UserCounts>();
const kindIndex: Record<string, number> = { '/trial': 0, '/email': 1, '/newsletter': 2 };

const server = createServer((req, res) => {
  const url = req.url ?? '/';
  if (req.method === 'GET' && url.startsWith('/stats')) {
    const prefix = new URL(url, 'http://x').searchParams.get('prefix') ?? '';
    const zero = () => ({ trial: 0, email: 0, newsletter: 0 });
    const s: ThirdPartyStats = {
      prefix,
      entries: zero(),
      calls: zero(),
      failures: zero(),
      duplicates: zero(),
      complete: 0,
      partial: 0,
      users: 0,
    };
    for (const [userId, c] of users) {
      if (!userId.startsWith(prefix)) continue;
      s.users++;
      kinds.forEach((k, i) => {
        s.entries[k] += c.entries[i];
        s.calls[k] += c.calls[i];
        s.failures[k] += c.failures[i];
        s.duplicates[k] += c.duplicates[i];
      });
      const have = c.entries[0] + c.entries[1] + c.entries[2];
      if (have === 3) s.complete++;
      else if (have > 0) s.partial++;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(s));
    return;
  }
  const index = kindIndex[url];
  if (req.method !== 'POST' || index === undefined) {
    res.writeHead(404).end();
    return;
  }
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (d: string) => (body += d));
  req.on('end', () => {
    let userId: string;
    try {
      userId = String((JSON.parse(body) as { userId: unknown }).userId);
    } catch {
      res.writeHead(400).end();
      return;
    }
    let c = users.get(userId);
    if (!c) users.set(userId, (c = { entries: [0, 0, 0], calls: [0, 0, 0], failures: [0, 0, 0], duplicates: [0, 0, 0] }));
    const counts = c;
    counts.calls[index]++;
    setTimeout(() => {
      if (Math.random() < config.failRate) {
        counts.failures[index]++;
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"injected failure"}');
        return;
      }
      const duplicate = counts.entries[index] === 1;
      if (duplicate) counts.duplicates[index]++;
      else counts.entries[index] = 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(duplicate ? '{"ok":true,"duplicate":true}' : '{"ok":true}');
    }, drawLatency(config.latency));
  });
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 125_000;
server.listen(config.port ?? 0, '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
});
