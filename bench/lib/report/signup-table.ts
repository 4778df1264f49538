/**
 * @module
 * Section 1 in the terminal: the signup endpoints under load, one row per
 * endpoint, transport and connection count, and what the columns mean.
 */
import { isSkipped, type Results } from '../results.js';
import { fmtMs, fmtPct, fmtRate, fmtRatio, fmtRounds, fmtUs, table } from '../stats.js';
import { roundsNote, variantLabel } from './format.js';

export function signupLines(signup: Results['sections']['signup']): string[] {
  const out: string[] = [];
  if (isSkipped(signup)) out.push(`1. Signup over HTTP — skipped: ${signup.skipped}`);
  else {
    const o = signup.options;
    const l = o.thirdParty.latency;
    out.push(
      `1. Signup over HTTP — autocannon ${o.durationS} s per load, ${roundsNote(o.rounds)}; third party ${l.minMs}–${l.maxMs} ms (median ${l.medianMs}), ${fmtPct(o.thirdParty.failRate)} failures; background concurrency ${o.concurrency}, ${o.retries} retries`,
    );
    const baseline = (c: number) => signup.rows.find((x) => x.endpoint === 'baseline' && x.connections === c);
    const sync = (c: number) => signup.rows.find((x) => x.endpoint === 'sync' && x.connections === c);
    const rows: string[][] = [
      [
        'endpoint',
        'transport',
        'conns',
        'req/s',
        'p50',
        'p90',
        'p99',
        'max',
        'non-2xx',
        'in-handler',
        'loop p99',
        '÷ baseline',
        'sync ÷',
        'entries/accepted t/e/n',
        'lost',
        'partial',
      ],
    ];
    for (const row of signup.rows) {
      const isAsync = row.endpoint === 'async';
      const perAcc =
        row.endpoint === 'baseline' || !row.perAccepted
          ? ''
          : [row.perAccepted.trial, row.perAccepted.email, row.perAccepted.newsletter]
              .map((v) => (Number.isFinite(v) ? v.toFixed(3) : '–'))
              .join(' / ');
      rows.push([
        row.endpoint,
        variantLabel(row.variant),
        String(row.connections),
        fmtRounds(row.reqPerSec, (v) => fmtRate(v, '')),
        fmtRounds(row.p50, fmtMs),
        fmtMs(row.p90.median),
        fmtMs(row.p99.median),
        fmtMs(row.max.median),
        fmtPct(row.non2xxShare),
        row.endpoint === 'sync' ? '' : fmtUs(row.criticalP50Us),
        fmtMs(row.loopDelayP99Ms),
        isAsync ? fmtRatio(row.p50.median / (baseline(row.connections)?.p50.median ?? Number.NaN)) : '',
        isAsync ? fmtRatio((sync(row.connections)?.p50.median ?? Number.NaN) / row.p50.median) : '',
        perAcc,
        row.endpoint === 'baseline' ? '' : `${row.lost}${row.settled ? '' : ' (unsettled)'}`,
        row.endpoint === 'baseline' ? '' : String(row.partial),
      ]);
    }
    out.push(table(rows, { alignLeft: 3 }));
    out.push(
      '   in-handler: p50 of the endpoint’s own critical path (create; async: create + send, or the 3 BullMQ adds). loop p99: event-loop delay',
    );
    out.push(
      '   of the service during the load. ÷ baseline: async p50 ÷ p50 of the same endpoint doing only the critical path (create, answer).',
    );
    out.push('   sync ÷: sync p50 ÷ async p50. lost: accepted signups missing an entry at the third party once background work settled.');
    out.push('   partial: signups whose third-party entries stopped midway (sync: a call failed and the request answered 502).');
    for (const s of signup.skipped) out.push(`   skipped ${s.variant}: ${s.reason}`);
  }
  return out;
}
