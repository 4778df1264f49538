/** A request body that cannot be read is the client's failure: a 4xx, never a 500 with an internal error logged. */
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpHandler } from '../../adapters/http/index.js';
import { createRuntime, silentLogger, type Runtime } from '../../index.js';

const runtimes: Runtime[] = [];
afterEach(async () => {
  for (const rt of runtimes.splice(0)) await rt.stop();
});

/** A stream body that fails part way, as node's request does when its client goes away mid-body. */
async function* breaking(first: string): AsyncIterable<Uint8Array> {
  yield Buffer.from(first);
  throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
}

describe('request bodies', () => {
  it('answers 400 BODY_UNREADABLE, and logs no internal error, when the body stream fails part way', async () => {
    const rt = createRuntime({ logger: silentLogger, transport: 'memory://', namespace: `body_${process.pid}` });
    runtimes.push(rt);
    await rt.start();
    const errors: string[] = [];
    const handler = createHttpHandler(rt, { token: 'a-token-of-sixteen-chars', logger: { ...silentLogger, error: (m) => errors.push(m) } });
    const res = await handler.handle({
      method: 'POST',
      url: '/eventide/events',
      headers: { authorization: 'Bearer a-token-of-sixteen-chars' },
      body: breaking('{"name":'),
    });
    handler.close();
    expect(res?.status).toBe(400);
    expect(JSON.parse(String(res?.body))).toMatchObject({
      error: { code: 'BODY_UNREADABLE', message: 'request body could not be read: aborted' },
    });
    expect(errors).toEqual([]);
    expect(await rt.listEvents()).toEqual([]);
  });
});
