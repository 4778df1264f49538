/**
 * Numbers and flags the scripts and the TypeScript side agree on. A script
 * travels as the text it is, so the Lua keeps its literals, each with a
 * comment naming its constant here: change the two together.
 */

/**
 * Where a delivery was read, in the form the scripts take it (requeue, deadLetter, commit): the
 * subject stream, which every group shares, or the group's own retry stream, whose entries are
 * deleted once settled.
 */
export const Source = { subjectStream: '0', retryStream: '1' } as const;
export type Source = (typeof Source)[keyof typeof Source];

/** `publish`, `publishOne`: what became of each message. */
export const Published = { accepted: 0, duplicate: 1 } as const;

/** `commit`, `kvWrite`: a write's new revision, or this when its compare-and-set lost. */
export const WRITE_LOST = 0;

/** `moveDue`: the milliseconds until the next entry is due, or one of these. */
export const MoveDue = { nothingWaits: -1, moreDueNow: 0 } as const;

/** `reclaim`: the stream each reclaimed entry came from. */
export const Reclaimed = { subjectStream: 1, retryStream: 2 } as const;

/** `slotAcquire`: whether the holder holds a slot; `slotRenew`: whether its lease was extended. */
export const SlotReply = { refused: 0, held: 1 } as const;

/** `rateTake`: whether a start may go now. */
export const RateReply = { refused: 0, started: 1 } as const;
