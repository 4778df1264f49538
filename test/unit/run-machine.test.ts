import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { move, persistedSnapshot, runMachine, statusOfSnapshot } from '../../core/run-machine.js';

describe('run machine', () => {
  it('allows the lifecycle moves and nothing else', () => {
    expect(move('pending', 'START')?.to).toBe('running');
    expect(move('running', 'SUCCEED')?.to).toBe('succeeded');
    expect(move('running', 'RETRY')?.to).toBe('retrying');
    expect(move('retrying', 'START')?.to).toBe('running');
    expect(move('running', 'SLEEP')?.to).toBe('sleeping');
    expect(move('sleeping', 'START')?.to).toBe('running');
    expect(move('retrying', 'CANCEL')?.to).toBe('cancelled');
    expect(move('pending', 'SUCCEED')).toBeUndefined();
    expect(move('retrying', 'SUCCEED')).toBeUndefined();
    expect(move('succeeded', 'START')).toBeUndefined();
    expect(move('failed', 'RETRY')).toBeUndefined();
    expect(move('cancelled', 'CANCEL')).toBeUndefined();
    expect(move('succeeded', 'CANCEL')).toBeUndefined();
  });

  it('restores a run persisted in retrying and continues from it', () => {
    const stored = JSON.parse(JSON.stringify(move('running', 'RETRY')!.snapshot));
    expect(statusOfSnapshot(stored)).toBe('retrying');
    const actor = createActor(runMachine, { snapshot: stored }).start();
    expect(actor.getSnapshot().value).toBe('retrying');
    actor.send({ type: 'START' });
    expect(actor.getSnapshot().value).toBe('running');
    actor.send({ type: 'SUCCEED' });
    expect(actor.getSnapshot().status).toBe('done');
    actor.stop();
  });

  it('stores a final snapshot for ended runs', () => {
    expect((move('running', 'FAIL')!.snapshot as { status: string }).status).toBe('done');
    expect((persistedSnapshot('pending') as { value: string }).value).toBe('pending');
  });
});
