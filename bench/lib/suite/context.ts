/**
 * @module
 * What every section of the suite gets: the plan, the transports that
 * answered, and the progress printer.
 */
import type { TransportKind } from '../env.js';
import type { Results } from '../results.js';
import type { Plan } from './plans.js';
import type { Progress } from './progress.js';

export interface SectionContext {
  plan: Plan;
  transports: Results['transports'];
  /** The transports that answered, in the suite's order. */
  kinds: TransportKind[];
  bullOk: boolean;
  log: Progress;
}
