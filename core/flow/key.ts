/**
 * @module
 * What every limit and gate counts by: a function of the event.
 */
import type { StoredEvent } from '../types.js';

/** Chooses the key a limit counts by. Runs with the same key share the limit; numbers are keys too. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type KeyOf<Data = any> = (event: StoredEvent<string, Data>) => string | number;
