import { describe, expect, it } from 'vitest';
import { createRuntime, defineFunction, EventValidationError, silentLogger, TestClock, type StandardSchemaV1 } from '../../index.js';

/** A minimal Standard Schema v1 object, as zod 4, valibot and arktype produce. */
function object<T extends Record<string, 'string' | 'number'>>(
  shape: T,
): StandardSchemaV1<unknown, { [K in keyof T]: T[K] extends 'string' ? string : number }> {
  return {
    '~standard': {
      version: 1,
      vendor: 'test',
      validate: async (value) => {
        if (!value || typeof value !== 'object') return { issues: [{ message: 'expected an object' }] };
        const issues = Object.entries(shape)
          .filter(([k, t]) => typeof (value as Record<string, unknown>)[k] !== t)
          .map(([k, t]) => ({ message: `expected ${t}`, path: [k] }));
        return issues.length ? { issues } : { value: value as never };
      },
    },
  };
}

describe('schemas', () => {
  it('type event.data from the trigger schema and validate at send', async () => {
    const seen: string[] = [];
    const fn = defineFunction(
      { id: 'typed', trigger: { event: 'user/created', schema: object({ userId: 'string', age: 'number' }) } },
      async ({ event }) => {
        const id: string = event.data.userId;
        // @ts-expect-error age is a number, not a string
        const wrong: string = event.data.age;
        void wrong;
        seen.push(id);
      },
    );
    const clock = new TestClock();
    const rt = createRuntime({ functions: [fn], logger: silentLogger, clock, namespace: 'schemas' });
    await rt.start();
    const err = await rt.send({ name: 'user/created', data: { userId: 'u1', age: 'old' } }).catch((e) => e);
    expect(err).toBeInstanceOf(EventValidationError);
    expect(err.code).toBe('SCHEMA');
    expect(err.issues).toEqual([{ message: 'expected number', path: ['age'] }]);
    expect(err.message).toBe('event "user/created" failed its schema: age: expected number');
    await rt.send({ name: 'user/created', data: { userId: 'u1', age: 40 } });
    await clock.advance(10);
    expect(seen).toEqual(['u1']);
    await rt.stop();
  });

  it('refuses a schema that is not Standard Schema', () => {
    expect(() => createRuntime({ schemas: { x: { parse() {} } as never } })).toThrow(/Standard Schema/);
  });
});
