/**
 * @module
 * What the suite prints while it runs: timestamped progress lines, the
 * children's stderr lines that look like trouble, and failed steps, which
 * are kept for the results instead of ending the run.
 */

export interface Progress {
  /** Prints a line stamped with the time since the run started. */
  progress: (line: string) => void;
  /** Child processes' stderr: only what looks like trouble reaches the terminal. */
  childLine: (line: string) => void;
  /** Runs `fn`; a throw is printed and kept in `errors`, and gives undefined. */
  attempt: <T>(what: string, fn: () => Promise<T>) => Promise<T | undefined>;
  errors: string[];
  /** Seconds since the run started. */
  seconds: () => number;
}

export function startProgress(): Progress {
  const t0 = Date.now();
  const clock = () => {
    const s = Math.floor((Date.now() - t0) / 1000);
    return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  };
  const progress = (line: string) => process.stdout.write(`[${clock()}] ${line}\n`);
  const childLine = (line: string) => {
    if (/error|warn|unhandled|exception/i.test(line)) process.stdout.write(`         │ ${line.slice(0, 300)}\n`);
  };
  const errors: string[] = [];
  async function attempt<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (e) {
      const msg = `${what}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
      errors.push(msg);
      progress(`✗ ${msg}`);
      return undefined;
    }
  }
  return { progress, childLine, attempt, errors, seconds: () => (Date.now() - t0) / 1000 };
}
