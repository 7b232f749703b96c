import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The batch layer's Prometheus metrics (archiver and recompute runs), in their own registry. */
export function createBatchMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'trb_batch_process_' });
  const partition = ['partition'];
  return {
    registry,
    archivedOffset: new Gauge({
      name: 'trb_archive_next_offset',
      help: 'Next offset to archive per partition (everything below is in segments on disk)',
      labelNames: partition,
      registers: [registry],
    }),
    archiveLag: new Gauge({
      name: 'trb_archive_lag_messages',
      help: 'Messages in Kafka not yet in a segment on disk, per partition',
      labelNames: partition,
      registers: [registry],
    }),
    archivedMessages: new Counter({ name: 'trb_archive_messages_total', help: 'Messages written to segments', registers: [registry] }),
    segments: new Counter({ name: 'trb_archive_segments_total', help: 'Segments written', registers: [registry] }),
    runs: new Counter({ name: 'trb_batch_runs_total', help: 'Batch runs by outcome', labelNames: ['outcome'], registers: [registry] }),
    runSeconds: new Histogram({
      name: 'trb_batch_run_seconds',
      help: 'Duration of successful batch runs',
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
      registers: [registry],
    }),
    stepSeconds: new Histogram({
      name: 'trb_batch_step_seconds',
      help: 'Duration of the steps of batch runs',
      labelNames: ['step'],
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 1800],
      registers: [registry],
    }),
    lastSuccess: new Gauge({ name: 'trb_batch_last_success_timestamp_seconds', help: 'When the last batch version was published', registers: [registry] }),
    rowsRead: new Counter({ name: 'trb_batch_rows_read_total', help: 'Valid events read by batch runs', registers: [registry] }),
  };
}
export type BatchMetrics = ReturnType<typeof createBatchMetrics>;
