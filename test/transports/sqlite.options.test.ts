/** How a `sqlite://` URL or a `{ kind: 'sqlite' }` config names a file and its options, and what is refused. */
import { describe, expect, it } from 'vitest';
import { ConfigError, createRuntime, defineFunction, silentLogger } from '../../index.js';
import { parseUrl, resolveOptions } from '../../transports/sqlite/options.js';
import { transportResolver } from '../../transports/resolve.js';
import { until } from '../conformance/transport.suite.js';

describe('sqlite transport options', () => {
  it('reads relative, absolute and in-memory paths, and options from the query', () => {
    expect(parseUrl('sqlite://./eventide.db')).toEqual({ path: './eventide.db' });
    expect(parseUrl('sqlite:///var/lib/app/eventide.db')).toEqual({ path: '/var/lib/app/eventide.db' });
    expect(parseUrl('sqlite://:memory:')).toEqual({ path: ':memory:' });
    expect(parseUrl('sqlite://data/e.db?synchronous=full&busyTimeoutMs=10000')).toEqual({
      path: 'data/e.db',
      synchronous: 'full',
      busyTimeoutMs: 10_000,
    });
    expect(transportResolver.parse('sqlite://./e.db')).toEqual({ kind: 'sqlite', url: 'sqlite://./e.db' });
    expect(transportResolver.parse({ kind: 'sqlite', path: './e.db' } as never)).toEqual({ kind: 'sqlite', path: './e.db' });
  });

  it('refuses a URL with no file, an unknown option, a bad synchronous, a bad number and a bad namespace, naming each', () => {
    expect(() => parseUrl('sqlite://')).toThrow(ConfigError);
    expect(() => parseUrl('sqlite://./e.db?sync=full')).toThrow(/"sync"/);
    expect(() => resolveOptions({ path: 'e.db', synchronous: 'off' as never })).toThrow(/synchronous/);
    expect(() => resolveOptions({ url: 'sqlite://e.db?busyTimeoutMs=soon' })).toThrow(/busyTimeoutMs/);
    expect(() => resolveOptions({ path: 'e.db', namespace: 'a.b' })).toThrow(/namespace/);
    expect(() => resolveOptions({})).toThrow(/path/);
  });

  it('runs functions on sqlite://:memory: through createRuntime', async () => {
    let ran = 0;
    const fn = defineFunction({ id: 'f', trigger: { event: 'a/b' } }, async () => void ran++);
    const rt = createRuntime({ transport: 'sqlite://:memory:', namespace: `opt_${process.pid}`, functions: [fn], logger: silentLogger });
    await rt.start();
    try {
      await rt.send({ name: 'a/b', data: {} });
      await until(() => ran === 1, 10_000, 'the run');
      expect(rt.transportKind).toBe('sqlite');
    } finally {
      await rt.stop();
    }
  });
});
