/** `npm run bench -- --help` says what each option does and its default, and runs nothing. */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const run = fileURLToPath(new URL('../../dist/bench/run.js', import.meta.url));

it('bench --help explains every option with its default', () => {
  const text = execFileSync(process.execPath, [run, '--help'], { encoding: 'utf8', timeout: 10_000 });
  for (const option of ['--transports', '--sections', '--no-bullmq', '--out', '--duration', '--connections', '--rounds'])
    expect(text, option).toMatch(new RegExp(`^  ${option}\\b.*default`, 'm'));
  for (const mode of ['--full', '--smoke']) expect(text).toMatch(new RegExp(`^  ${mode}\\s+\\S`, 'm'));
  expect(text).toMatch(/default: quick/);
});
