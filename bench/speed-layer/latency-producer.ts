/**
 * Child process of the latency phase (forked with an IPC channel; input as JSON in argv[2]): a paced
 * producer, kept out of the bench process so that its Redis poller is never held up by kafkajs
 * encoding (~15-20 µs of CPU per message here). Node 20 does not run `--import tsx` in worker
 * threads, hence a process.
 *
 * Every TICK_MS it sends the events due by then (rate × elapsed − sent), round-robin over the
 * partitions with explicit partition numbers, acks=-1, no compression, in sends of at most five
 * ticks' worth of events and with at most MAX_IN_FLIGHT sends outstanding (when it falls behind, the
 * achieved rate says so); each event's `ts` is its send time. For every acked send it posts, per partition,
 * the offset of the last event it put there with the send and ack times (ms since the epoch, from
 * `performance.timeOrigin + performance.now()`, comparable across processes).
 */
import { createKafkaClient } from '@tributary/adapter-kafka';
import { CompressionTypes } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import { demoEvent, seededRandom } from '../../tools/demo/demo-events';

export interface LatencyProducerInput {
  brokers: string[];
  topic: string;
  partitions: number;
  rate: number;
  seconds: number;
  runId: string;
  firstSequence: number;
}

/** One acked send: [partition, last offset, events] per partition it wrote to. */
export interface AckMessage {
  type: 'ack';
  sentAt: number;
  ackAt: number;
  parts: Array<[partition: number, last: string, events: number]>;
}

export interface DoneMessage {
  type: 'done';
  sent: number;
  acked: number;
  sends: number;
  errors: number;
  firstError: string | null;
  /** From the first send to the last ack, in s. */
  seconds: number;
}

const TICK_MS = 10;
const MAX_IN_FLIGHT = 64;
const clock = () => performance.timeOrigin + performance.now();

async function run(input: LatencyProducerInput, post: (message: AckMessage | DoneMessage) => Promise<void>): Promise<void> {
  const { topic, partitions, rate } = input;
  const kafka = createKafkaClient({ brokers: input.brokers, clientId: 'bench-latency-producer' });
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false });
  await producer.connect();
  const random = seededRandom(7);
  let sequence = input.firstSequence;
  let sent = 0;
  let acked = 0;
  let sends = 0;
  let inFlight = 0;
  let errors = 0;
  let firstError: string | null = null;
  const maxSend = Math.max(300, Math.ceil((rate * TICK_MS) / 1000) * 5);
  const start = clock();
  const end = start + input.seconds * 1000;
  let lastAckAt = start;
  try {
    while (clock() < end) {
      let backlog = Math.floor((rate * (clock() - start)) / 1000) - sent;
      while (backlog > 0 && inFlight < MAX_IN_FLIGHT) {
        const due = Math.min(backlog, maxSend);
        backlog -= due;
        const wallNow = Date.now();
        const perPartition = new Array<number>(partitions).fill(0);
        const messages: Array<{ partition: number; value: string }> = [];
        for (let i = 0; i < due; i++, sequence++) {
          const partition = sequence % partitions;
          perPartition[partition] = (perPartition[partition] as number) + 1;
          messages.push({ partition, value: JSON.stringify(demoEvent(random, wallNow, sequence, input.runId)) });
        }
        const sentAt = clock();
        sent += due;
        sends++;
        inFlight++;
        void producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages }).then(
          (metadata) => {
            const ackAt = clock();
            lastAckAt = ackAt;
            inFlight--;
            acked += due;
            const parts: AckMessage['parts'] = [];
            for (const m of metadata) {
              const count = perPartition[m.partition] ?? 0;
              if (count > 0 && m.baseOffset !== undefined) parts.push([m.partition, (BigInt(m.baseOffset) + BigInt(count - 1)).toString(), count]);
            }
            void post({ type: 'ack', sentAt, ackAt, parts });
          },
          (err: unknown) => {
            inFlight--;
            errors++;
            firstError ??= err instanceof Error ? err.message : String(err);
          },
        );
      }
      await sleep(TICK_MS);
    }
    const settle = clock() + 30_000;
    while (inFlight > 0 && clock() < settle) await sleep(10);
  } finally {
    await post({ type: 'done', sent, acked, sends, errors, firstError, seconds: (lastAckAt - start) / 1000 });
    await producer.disconnect();
  }
}

const send = process.send?.bind(process);
if (send) {
  // The bench went away: stop.
  process.once('disconnect', () => process.exit(1));
  try {
    const post = (message: AckMessage | DoneMessage) => new Promise<void>((resolve) => void send(message, undefined, {}, () => resolve()));
    await run(JSON.parse(process.argv[2] ?? '{}') as LatencyProducerInput, post);
  } finally {
    process.disconnect();
  }
}
