import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The speed layer's Prometheus metrics, in their own registry. */
export function createSpeedMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'trb_speed_process_' });
  const counter = (name: string, help: string, labelNames: string[] = []) => new Counter({ name, help, labelNames, registers: [registry] });
  return {
    registry,
    consumed: counter('trb_speed_events_consumed_total', 'Kafka messages read from the events topic'),
    applied: counter('trb_speed_events_applied_total', 'Events counted into Redis'),
    rejected: counter('trb_speed_events_rejected_total', 'Messages sent to the dead-letter topic'),
    deduplicated: counter('trb_speed_events_deduplicated_total', 'Events dropped as copies of an id already counted'),
    conflicts: counter('trb_speed_apply_conflicts_total', 'Batches the store sent back (gen, dup, stale)', ['kind']),
    registers: counter('trb_speed_hll_registers_total', 'HyperLogLog register updates applied: sent to Redis, or skipped as the register cache knew Redis held them', ['outcome']),
    fences: counter('trb_speed_register_cache_fences_total', 'Batches Redis refused because the register cache described another store history (then sent in full)'),
    rebuilds: counter('trb_speed_store_rebuilds_total', 'Times the speed store was (re)built from the lake', ['reason']),
    applySeconds: new Histogram({
      name: 'trb_speed_apply_seconds',
      help: 'Time to apply one pre-aggregated Kafka batch to Redis',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    lag: new Gauge({ name: 'trb_speed_partition_lag', help: 'Messages behind the high watermark, per partition', labelNames: ['partition'], registers: [registry] }),
  };
}
export type SpeedMetrics = ReturnType<typeof createSpeedMetrics>;
