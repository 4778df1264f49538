/**
 * @module
 * What eventide counts for Prometheus, in this process: runs started and
 * ended, attempt and step durations, event → start latency and events sent
 * (all counted as they happen), and at scrape time runs executing here, the
 * transport's backlog per function and its dead letters.
 */
import type { Backlog } from '../transport.js';
import { Family, Histogram, labels, type Series } from './exposition.js';

/** One function's series, looked up once per attempt. */
export interface FunctionSeries {
  started(latencyMs: number | undefined): void;
  attempt(outcome: string, ms: number): void;
  step(kind: string, ms: number): void;
}

/** What a scrape reads beyond the counters: the runtime's own state and the transport's. */
export interface ScrapeSources {
  functionIds: readonly string[];
  /** Attempts executing in this process, by function id. */
  executing(): Map<string, number>;
  backlog?: (functionId: string) => Promise<Backlog>;
  deadLetters?: () => Promise<number>;
}

export class RunMetrics {
  private readonly startedTotal = new Family('eventide_runs_started_total', 'counter', 'Runs whose first attempt started in this process.');
  private readonly endedTotal = new Family(
    'eventide_runs_ended_total',
    'counter',
    'Runs that reached a final status (succeeded, failed, cancelled, skipped), as announced by this process.',
  );
  private readonly sentTotal = new Family('eventide_events_sent_total', 'counter', 'Events accepted by send() in this process.');
  private readonly attemptSeconds = new Histogram('eventide_attempt_duration_seconds', 'Duration of one attempt of a run, by outcome.');
  private readonly stepSeconds = new Histogram(
    'eventide_step_duration_seconds',
    'Duration of a step that ran (a sleep: how long it slept).',
  );
  private readonly latencySeconds = new Histogram(
    'eventide_event_start_latency_seconds',
    "From an event's time (when it was due, for a delayed one) to the start of a run it triggered.",
  );
  private readonly byFunction = new Map<string, FunctionSeries>();

  /** The series of one function (made on first use and kept: a function's id is a bounded label). */
  of(functionId: string): FunctionSeries {
    let f = this.byFunction.get(functionId);
    if (!f) this.byFunction.set(functionId, (f = this.make(functionId)));
    return f;
  }

  private make(functionId: string): FunctionSeries {
    const fn = labels([['function', functionId]]);
    const latency = this.latencySeconds.of(fn);
    const attempts = new Map<string, Series>();
    const steps = new Map<string, Series>();
    const seriesOf = (h: Histogram, cache: Map<string, Series>, name: string, value: string) => {
      let s = cache.get(value);
      if (!s)
        cache.set(
          value,
          (s = h.of(
            labels([
              ['function', functionId],
              [name, value],
            ]),
          )),
        );
      return s;
    };
    return {
      started: (latencyMs) => {
        this.startedTotal.inc(fn);
        if (latencyMs !== undefined) latency.observe(Math.max(0, latencyMs) / 1000);
      },
      attempt: (outcome, ms) => seriesOf(this.attemptSeconds, attempts, 'outcome', outcome).observe(ms / 1000),
      step: (kind, ms) => seriesOf(this.stepSeconds, steps, 'kind', kind).observe(ms / 1000),
    };
  }

  ended(functionId: string, status: string): void {
    this.endedTotal.inc(
      labels([
        ['function', functionId],
        ['status', status],
      ]),
    );
  }

  private readonly eventLabels = new Map<string, string>();
  sent(name: string): void {
    let l = this.eventLabels.get(name);
    if (l === undefined) {
      l = labels([['event', name]]);
      // Event names are a bounded set in any sane app; past this many, new ones are counted without being remembered.
      if (this.eventLabels.size < 10_000) this.eventLabels.set(name, l);
    }
    this.sentTotal.inc(l);
  }

  /** The whole exposition: counters now, gauges read from `sources`. A source that fails leaves its family out rather than failing the scrape. */
  async render(sources: ScrapeSources): Promise<string> {
    const executing = new Family('eventide_runs_executing', 'gauge', 'Attempts executing in this process now.');
    const counts = sources.executing();
    for (const id of sources.functionIds) executing.set(labels([['function', id]]), counts.get(id) ?? 0);
    let out = this.startedTotal.render() + this.endedTotal.render() + this.sentTotal.render();
    out += this.attemptSeconds.render() + this.stepSeconds.render() + this.latencySeconds.render() + executing.render();
    const { backlog, deadLetters } = sources;
    if (backlog) {
      const family = new Family(
        'eventide_backlog_messages',
        'gauge',
        "Messages of a function's consumer group not yet settled, by state: ready (due, not yet handed out), delayed (not yet due), in_flight (handed to a worker).",
      );
      const read = await Promise.allSettled(sources.functionIds.map((id) => backlog(id)));
      read.forEach((r, i) => {
        if (r.status !== 'fulfilled') return;
        const id = sources.functionIds[i];
        for (const [state, n] of [
          ['ready', r.value.ready],
          ['delayed', r.value.delayed],
          ['in_flight', r.value.inFlight],
        ] as const)
          family.set(
            labels([
              ['function', id],
              ['state', state],
            ]),
            n,
          );
      });
      out += family.render();
    }
    if (deadLetters) {
      const n = await deadLetters().catch(() => undefined);
      if (n !== undefined) {
        const family = new Family('eventide_dead_letters', 'gauge', 'Dead letters the transport holds for this namespace.');
        family.set('', n);
        out += family.render();
      }
    }
    return out;
  }
}
