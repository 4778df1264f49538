/** What the runtime suite hands its case files: a fresh namespace, a started runtime on it, and a wait for runs to end. */
import type { Runtime, RuntimeOptions } from '../../index.js';

export interface SuiteContext {
  ns: () => string;
  make: (options: RuntimeOptions & { namespace: string }) => Promise<Runtime>;
  settled: (rt: Runtime, count: number, query?: { functionId?: string }) => Promise<void>;
}
