/** One Kafka message as the archiver receives it. */
export interface ArchiveMessage {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
}

/**
 * The messages of one partition waiting to become a segment: encoded lines in offset order, and
 * when the first of them arrived. Pure bookkeeping; the archiver decides when to write it.
 */
export class SegmentBuffer {
  private lines: string[] = [];
  private offsets: bigint[] = [];
  private size = 0;
  private since: number | undefined;

  get isEmpty(): boolean {
    return this.lines.length === 0;
  }
  get bytes(): number {
    return this.size;
  }
  get count(): number {
    return this.lines.length;
  }
  /** Offset of the first buffered message. */
  get first(): bigint | undefined {
    return this.offsets[0];
  }

  add(offset: bigint, line: string, now: number): void {
    this.lines.push(line);
    this.offsets.push(offset);
    this.size += Buffer.byteLength(line) + 1;
    this.since ??= now;
  }

  /** True when the buffer should become a segment: it is big enough, or its first message waited long enough. */
  isDue(now: number, limits: { maxBytes: number; maxAgeMs: number }): boolean {
    if (this.isEmpty) return false;
    return this.size >= limits.maxBytes || now - (this.since as number) >= limits.maxAgeMs;
  }

  /**
   * Takes the buffered messages from offset `from` on (those below were archived by someone else)
   * and empties the buffer. Undefined when nothing is left.
   */
  take(from: bigint): { first: string; last: string; lines: string[] } | undefined {
    let start = 0;
    while (start < this.offsets.length && (this.offsets[start] as bigint) < from) start++;
    const lines = this.lines.slice(start);
    const offsets = this.offsets.slice(start);
    this.clear();
    if (lines.length === 0) return undefined;
    return { first: (offsets[0] as bigint).toString(), last: (offsets.at(-1) as bigint).toString(), lines };
  }

  clear(): void {
    this.lines = [];
    this.offsets = [];
    this.size = 0;
    this.since = undefined;
  }
}
