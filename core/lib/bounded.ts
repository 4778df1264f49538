/**
 * @module
 * Waiting with a bound. A stop, a close or a drain waits for work in flight,
 * but never longer than it was told: past the bound it goes on as if the
 * work had ended, and the work's own outcome is no longer awaited.
 */

/** Resolves with `true` once `work` settles (either way), or with `false` after `timeoutMs`, whichever comes first. */
export async function settledWithin(work: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, timeoutMs));
    // A bound must never be what keeps a process alive.
    timer.unref?.();
  });
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
