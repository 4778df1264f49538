/**
 * @module
 * Writes one run's record with compare-and-set. Writes are chained, so a
 * step's result can be written while the next step already runs; the final
 * write travels with the delivery's settlement (`settleWith`), after every
 * queued write, so a run is never acked before its results are durable.
 */
import { writeValue } from './codec/msgpack-writer.js';
import { encodeRecord, type FixedFields } from './codec/record.js';
import { runListing } from './run-index.js';
import type { KVStore, Revision, StoreWrite } from './transport.js';
import type { RunRecord } from './types.js';

export class RunWriter {
  private chain: Promise<boolean> = Promise.resolve(true);
  /** Set when a write lost compare-and-set: someone else (a cancel, another worker) moved the run. */
  conflict = false;
  private fixedFields: FixedFields | undefined;

  constructor(
    private readonly store: KVStore,
    private readonly key: string,
    private revision: Revision | undefined,
    /** The run's event as delivered, when the envelope gave its bytes; otherwise made at the first write. */
    eventBytes?: Uint8Array,
  ) {
    if (eventBytes) this.fixedFields = { event: eventBytes };
  }

  /** Every write of the run carries the same event: its bytes are made once. */
  private encode(record: RunRecord): Uint8Array {
    this.fixedFields ??= { event: writeValue(record.event) };
    return encodeRecord(record, this.fixedFields);
  }

  /** Queues a write of the record as it is now. Resolves false on a conflict. */
  write(record: RunRecord): Promise<boolean> {
    const bytes = this.encode(record);
    const options = { listing: runListing(record) };
    this.chain = this.chain.then(async (ok) => {
      if (!ok) return false;
      const next =
        this.revision === undefined
          ? await this.store.create(this.key, bytes, options)
          : await this.store.update(this.key, bytes, this.revision, options);
      if (next === undefined) {
        this.conflict = true;
        return false;
      }
      this.revision = next;
      return true;
    });
    return this.chain;
  }

  flush(): Promise<boolean> {
    return this.chain;
  }

  /**
   * The last write, made by `settle` (a delivery's ack or retry) so that the
   * record and the settlement land together. Waits for queued writes first.
   */
  settleWith(record: RunRecord, settle: (write: StoreWrite) => Promise<boolean>, expireMs?: number): Promise<boolean> {
    const value = this.encode(record);
    const listing = runListing(record);
    this.chain = this.chain.then(async (ok) => {
      if (!ok) return false;
      if (await settle({ key: this.key, value, revision: this.revision, listing, ...(expireMs !== undefined ? { expireMs } : {}) }))
        return true;
      this.conflict = true;
      return false;
    });
    return this.chain;
  }
}
