/**
 * Compile-time checks of sending and handling typed events: `npm run typecheck` fails when an
 * `@ts-expect-error` below stops being an error (a wrong `data` that compiles again) or when an
 * `expectTypeOf` does not hold. The bodies are never called: the types are what is tested.
 */
import { describe, expectTypeOf, it } from 'vitest';
import { createHttpHandler } from '../../adapters/http/index.js';
import { createRuntime, defineFunction, forEvents, type EventOf, type Runtime, type StoredEvent } from '../../index.js';

type Events = {
  'user/created': { userId: string; plan?: 'free' | 'pro' };
  'user/deleted': { userId: string; reason: string };
  'invoice/paid': { invoiceId: string; cents: number };
};

describe('typed events', () => {
  it('createRuntime<Events>(): send accepts an event of the map and refuses a wrong name or data', () => {
    const runtime = createRuntime<Events>({ transport: 'memory://' });
    expectTypeOf(runtime).toEqualTypeOf<Runtime<Events>>();
    expectTypeOf(runtime.send).toBeCallableWith({ name: 'user/created', data: { userId: 'u1' } });
    expectTypeOf(runtime.send).toBeCallableWith([
      { name: 'user/created', data: { userId: 'u1', plan: 'pro' }, id: 'signup-1' },
      { name: 'invoice/paid', data: { invoiceId: 'i1', cents: 100 } },
    ]);
    expectTypeOf(runtime.send).returns.resolves.toEqualTypeOf<{ ids: string[] }>();
    expectTypeOf<EventOf<Events>['name']>().toEqualTypeOf<'user/created' | 'user/deleted' | 'invoice/paid'>();

    const neverCalled = async () => {
      // @ts-expect-error data of the wrong type
      await runtime.send({ name: 'user/created', data: { userId: 42 } });
      // @ts-expect-error data missing a required field
      await runtime.send({ name: 'user/deleted', data: { userId: 'u1' } });
      // @ts-expect-error data of another event of the map
      await runtime.send({ name: 'user/created', data: { invoiceId: 'i1', cents: 1 } });
      // @ts-expect-error a value the field does not allow
      await runtime.send({ name: 'user/created', data: { userId: 'u1', plan: 'gold' } });
      // @ts-expect-error a name the map does not have
      await runtime.send({ name: 'user/renamed', data: { userId: 'u1' } });
      await runtime.send([
        { name: 'user/created', data: { userId: 'u1' } },
        // @ts-expect-error one wrong event in a batch
        { name: 'invoice/paid', data: { invoiceId: 'i1' } },
      ]);
    };
    void neverCalled;
  });

  it('forEvents<Events>().defineFunction types event.data from the trigger, a prefix included', () => {
    const { defineFunction: define } = forEvents<Events>();
    define({ id: 'welcome', trigger: { event: 'user/created' } }, ({ event }) => {
      expectTypeOf(event.data).toEqualTypeOf<{ userId: string; plan?: 'free' | 'pro' }>();
      expectTypeOf(event).toMatchTypeOf<StoredEvent>();
    });
    define({ id: 'audit-users', trigger: { event: 'user/*' } }, ({ event }) => {
      expectTypeOf(event.data).toEqualTypeOf<Events['user/created'] | Events['user/deleted']>();
      expectTypeOf(event.data.userId).toBeString();
    });
    define(
      {
        id: 'big-invoices',
        trigger: { event: 'invoice/paid', if: (e) => e.data.cents > 10_000 },
      },
      ({ event }) => event.data.cents,
    );
    // @ts-expect-error a trigger naming an event the map does not have
    define({ id: 'nope', trigger: { event: 'user/renamed' } }, () => undefined);
    define({ id: 'wrong-field', trigger: { event: 'user/created' } }, ({ event }) => {
      // @ts-expect-error a field the event's data does not have
      return event.data.cents;
    });
  });

  it('without a map everything is as before: any name, data unknown', () => {
    const runtime = createRuntime({ transport: 'memory://' });
    expectTypeOf(runtime).toEqualTypeOf<Runtime>();
    expectTypeOf(runtime.send).toBeCallableWith({ name: 'anything', data: { any: 'thing' } });
    defineFunction({ id: 'plain', trigger: { event: 'user/created' } }, ({ event }) => {
      expectTypeOf(event.data).toBeUnknown();
    });
  });

  it('a typed runtime goes wherever a runtime does (the HTTP handler)', () => {
    const runtime = createRuntime<Events>({ transport: 'memory://' });
    const make = () => createHttpHandler(runtime, { dev: true });
    expectTypeOf(make).returns.toHaveProperty('handle');
  });
});
