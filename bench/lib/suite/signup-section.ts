/**
 * @module
 * Section 1: the signup endpoints over HTTP, sync vs async, on every
 * transport that answered (and BullMQ).
 */
import type { Results } from '../results.js';
import { runSignupSection } from '../signup.js';
import type { SectionContext } from './context.js';

export async function signupSection(ctx: SectionContext): Promise<Results['sections']['signup']> {
  const { plan, kinds, bullOk } = ctx;
  const { progress, childLine, attempt, errors } = ctx.log;
  progress('── 1. signup, sync vs async, over HTTP');
  const variants = [...kinds, ...(bullOk ? (['bullmq'] as const) : [])];
  const section = await attempt('signup section', () => runSignupSection({ ...plan.signup, variants }, progress, childLine));
  return section ?? { skipped: `failed: ${errors[errors.length - 1]}` };
}
