/**
 * Core benchmark: validation + normalization, aggregation into states, md5 / HyperLogLog speed and
 * HyperLogLog error. Prints figures; asserts nothing. Run: `npx tsx bench/core/core.bench.ts [events]`
 * (default 1 000 000 events).
 *
 * Shaped like the speed layer: payment events in time order (one hour), handled in batches of 10 000
 * (a Kafka batch), each batch pre-aggregated into a fresh ViewRows. JSON.parse happens outside the
 * timed region except where a line says it is included.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createEventValidator,
  createViewAggregator,
  HyperLogLog,
  md5Words,
  type NormalizedEvent,
  parseViews,
  type ViewDefinition,
  ViewRows,
} from '@tributary/core';
import { seededRandom } from '@tributary/testing';

const N = Number(process.argv[2] ?? 1_000_000);
const BATCH = 10_000;
const views = parseViews(readFileSync(join(import.meta.dirname, '../../config/views.yaml'), 'utf8'), 'config/views.yaml');
const payments = views.find((v) => v.name === 'payments_by_country') as ViewDefinition;
const noDistinct: ViewDefinition = { ...payments, name: 'payments_no_distinct', metrics: payments.metrics.filter((m) => m.kind !== 'distinct') };

const NOW = Date.UTC(2026, 10, 23, 11, 0, 0);
const random = seededRandom(1);
const countries = ['DE', 'FR', 'US', 'GB', 'JP', 'BR'];
const methods = ['card', 'paypal', 'sepa', 'apple_pay'];
const lines: string[] = [];
for (let i = 0; i < N; i++) {
  const ts = NOW - 3_600_000 + Math.floor((i * 3_600_000) / N) + Math.floor(random() * 5_000);
  lines.push(
    JSON.stringify({
      id: `demo-r1-${i}`,
      type: 'payment',
      ts: new Date(ts).toISOString(),
      country: countries[Math.floor(random() * countries.length)],
      method: methods[Math.floor(random() * methods.length)],
      amount: Math.round(random() * 20_000) / 100,
      user_id: `u${Math.floor(random() * 50_000)}`,
    }),
  );
}
const avgBytes = lines.reduce((s, l) => s + Buffer.byteLength(l), 0) / N;
const validator = createEventValidator(views);
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

interface Batch {
  lines: string[];
  parsed: unknown[];
  events: NormalizedEvent[];
}
function batchOf(start: number): Batch {
  const slice = lines.slice(start, start + BATCH);
  const parsed = slice.map((l) => JSON.parse(l) as unknown);
  const events = parsed.map((raw) => {
    const r = validator.validate(raw, NOW);
    if (!r.ok) throw new Error(r.reason);
    return r.event;
  });
  return { lines: slice, parsed, events };
}

/** Best of 3 passes (after one warm-up) over all batches, timing only `work`; returns events/s. */
function rate(label: string, work: (batch: Batch) => unknown): number {
  let best = Number.POSITIVE_INFINITY;
  for (let pass = 0; pass < 4; pass++) {
    let ms = 0;
    for (let start = 0; start < N; start += BATCH) {
      const batch = batchOf(start);
      const t0 = performance.now();
      work(batch);
      ms += performance.now() - t0;
    }
    if (pass > 0) best = Math.min(best, ms);
  }
  const perSecond = N / (best / 1000);
  console.log(`  ${label.padEnd(52)} ${fmt(perSecond).padStart(11)} events/s  ${((best * 1e6) / N).toFixed(0).padStart(5)} ns/event`);
  return perSecond;
}

console.log(`Tributary core benchmark — Node ${process.version}, ${fmt(N)} payment events of ~${avgBytes.toFixed(0)} bytes, batches of ${fmt(BATCH)}, one core\n`);

console.log('Baselines');
rate('JSON.parse of each line', (b) => b.lines.map((l) => JSON.parse(l) as unknown));
rate('naive loop reading id/type/ts/country/amount', (b) => {
  let acc = 0;
  for (const e of b.parsed as Record<string, unknown>[]) {
    acc += (e['id'] as string).length + (e['type'] as string).length + (e['ts'] as string).length;
    acc += (e['country'] as string).length + (e['amount'] as number);
  }
  return acc;
});

console.log('\nValidation + normalization of parsed objects (ISO ts, attribute and metric-field checks)');
const validateRate = rate('validator.validate', (b) => {
  let ok = 0;
  for (const raw of b.parsed) if (validator.validate(raw, NOW).ok) ok++;
  return ok;
});

console.log('\nAggregation into states, a fresh ViewRows per batch');
const aggregator = createViewAggregator(payments);
const aggregateRate = rate('payments_by_country (count sum min max avg distinct)', (b) => aggregator.aggregate(b.events));
const plain = createViewAggregator(noDistinct);
rate('same view without the distinct metric', (b) => plain.aggregate(b.events));

console.log('\nValidation + aggregation (the speed layer per Kafka batch)');
const pipelineRate = rate('validate + aggregate payments_by_country', (b) => {
  const rows = new ViewRows(payments.dimensions.length);
  for (const raw of b.parsed) {
    const r = validator.validate(raw, NOW);
    if (r.ok) aggregator.add(rows, r.event);
  }
  return rows;
});
const withParseRate = rate('JSON.parse + validate + aggregate', (b) => {
  const rows = new ViewRows(payments.dimensions.length);
  for (const line of b.lines) {
    const r = validator.parse(line, NOW);
    if (r.ok) aggregator.add(rows, r.event);
  }
  return rows;
});

console.log('\nHashing');
{
  const words = new Int32Array(4);
  const texts = Array.from({ length: 1_000_000 }, (_, i) => `u${i}`);
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (const t of texts) md5Words(t, words);
    best = Math.min(best, performance.now() - t0);
  }
  console.log(`  md5 (pure TypeScript) of short strings               ${((best * 1e6) / texts.length).toFixed(0).padStart(5)} ns/hash`);
}

console.log('\nHyperLogLog p = 14: relative error of the estimate, and time per add (values "v<set>-<i>")');
for (const n of [100, 10_000, 1_000_000, 10_000_000]) {
  const sets = n <= 10_000 ? 20 : n <= 1_000_000 ? 3 : 1;
  const errors: number[] = [];
  let addNs = 0;
  for (let set = 0; set < sets; set++) {
    const hll = new HyperLogLog();
    const prefix = `v${set}-`;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) hll.add(prefix + i);
    addNs += ((performance.now() - t0) * 1e6) / n;
    errors.push(hll.estimate() / n - 1);
  }
  const meanAbs = errors.reduce((s, e) => s + Math.abs(e), 0) / sets;
  const worst = Math.max(...errors.map(Math.abs));
  const shown = sets === 1 ? `error ${pct(errors[0] as number)}` : `mean |error| ${abs(meanAbs)}, worst ${abs(worst)} (${sets} value sets)`;
  console.log(`  ${fmt(n).padStart(10)} distinct: ${shown.padEnd(52)} ${(addNs / sets).toFixed(0).padStart(5)} ns/add`);
}

console.log(
  `\nSummary: validation ${fmt(validateRate)}/s, aggregation ${fmt(aggregateRate)}/s, validation + aggregation ${fmt(pipelineRate)}/s ` +
    `(target ≥ 500,000/s: ${pipelineRate >= 500_000 ? 'met' : 'NOT met'}); with JSON.parse ${fmt(withParseRate)}/s`,
);

function abs(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}

function pct(x: number): string {
  return `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(2)}%`;
}
