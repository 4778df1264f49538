import { describe, expect, it } from 'vitest';
import { ConfigError, defineFunction } from '../../index.js';

const trigger = { event: 'a/b' };
const noop = async () => undefined;
// Plain JavaScript callers pass anything: these configs are what a typo or a wrong shape looks like there.
const define = (config: Record<string, unknown>) => () => defineFunction({ id: 'f', trigger, ...config }, noop);

describe('defineFunction: flow control options', () => {
  it('accepts each documented shape', () => {
    expect(define({ concurrency: 5 })).not.toThrow();
    expect(define({ concurrency: { limit: 1, key: () => 'k' } })).not.toThrow();
    expect(define({ concurrency: [{ limit: 2, key: () => 'k' }, 10] })).not.toThrow();
    expect(define({ throttle: { limit: 10, period: '1m', burst: 2, key: () => 'k' } })).not.toThrow();
    expect(define({ concurrency: 1, priority: () => 1 })).not.toThrow();
    expect(defineFunction({ id: 'f', trigger }, noop).flow).toBeUndefined();
  });

  it.each([
    [{ concurency: 5 }, 'function "f": unknown option "concurency"'],
    [{ retry: 5 }, 'function "f": unknown option "retry"'],
    [{ rateLimit: { limit: 1, period: '1h' } }, 'function "f": option "rateLimit" is not supported yet'],
    [{ concurrency: 0 }, 'function "f": concurrency must be a whole number > 0, got 0'],
    [{ concurrency: 1.5 }, 'function "f": concurrency must be a whole number > 0, got 1.5'],
    [{ concurrency: { limit: -1 } }, 'function "f": concurrency.limit must be a whole number > 0, got -1'],
    [{ concurrency: { limit: 1, key: 'data.id' } }, 'function "f": concurrency.key must be a function of the event'],
    [{ concurrency: { limit: 1, keys: (): string => 'k' } }, 'function "f": concurrency has an unknown option "keys"'],
    [{ concurrency: [1, 2, 3] }, 'function "f": concurrency takes a number, a { limit, key } or a list of one or two of them, got 3'],
    [{ concurrency: [1, { limit: 0 }] }, 'function "f": concurrency[1].limit must be a whole number > 0, got 0'],
    [{ throttle: { limit: 10, period: 'soon' } }, 'function "f": throttle.period "soon" is not a duration'],
    [{ throttle: { limit: 10, period: 0 } }, 'function "f": throttle.period must be longer than 0'],
    [{ throttle: { limit: 0, period: '1s' } }, 'function "f": throttle.limit must be a whole number > 0, got 0'],
    [{ throttle: { limit: 1, period: '1s', burst: -1 } }, 'function "f": throttle.burst must be a whole number ≥ 0, got -1'],
    [{ throttle: { limit: 1, period: '1s', key: 7 } }, 'function "f": throttle.key must be a function of the event'],
    [{ priority: () => 1 }, 'function "f": priority orders runs waiting for a concurrency slot, so it needs concurrency'],
    [{ concurrency: 1, priority: 5 }, 'function "f": priority must be a function of the event that returns a number'],
  ])('refuses %j with a ConfigError naming the option', (config, message) => {
    expect(define(config)).toThrow(ConfigError);
    expect(define(config)).toThrow(message);
  });
});
