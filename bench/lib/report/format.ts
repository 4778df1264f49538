/**
 * @module
 * Small text helpers the terminal tables and the HTML page share.
 */

export const variantLabel = (v: string) => (v === 'none' ? '–' : v === 'bullmq' ? 'BullMQ' : v);

export const roundsNote = (n: number) => (n > 1 ? `median (min–max) of ${n} rounds` : 'one round');

export const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
