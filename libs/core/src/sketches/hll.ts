import { StateError } from '../errors';
import { estimateFromHistogram } from './hll-estimate';
import { md5Words } from './md5';

/**
 * HyperLogLog with p = 14 (16 384 registers, ~0.81 % standard error), computed identically here and
 * in DuckDB SQL (see viewStatesSql):
 *
 *   h     = first 8 bytes of md5(UTF-8 of the value's text) read as a little-endian uint64
 *           (= DuckDB's md5_number_upper(text), checked on DuckDB 1.5.6)
 *   index = h & 0x3fff                            (the low 14 bits)
 *   rank  = leading zeros of (h >> 14) counted within its 50 bits, + 1   (1..51; 51 when all zero)
 *
 * Merge is the element-wise max. Storage is sparse — a sorted Uint32Array of packed entries
 * `index << 6 | rank` — up to SPARSE_LIMIT entries, dense (Uint8Array(16384)) past it.
 *
 * Serialized form (the one both Redis and Parquet hold): a list of packed entries `index * 64 + rank`
 * of the non-zero registers, as numbers. `toPacked` writes it sorted, one entry per index; the batch
 * layer's SQL may store a group's entries in any order with an index repeated, and `fromPacked`
 * keeps the highest rank per index.
 */
export const HLL_PRECISION = 14;
export const HLL_REGISTERS = 1 << HLL_PRECISION;
export const HLL_MAX_RANK = 64 - HLL_PRECISION + 1;
const INDEX_MASK = HLL_REGISTERS - 1;
const SPARSE_LIMIT = 1024;
const digest = new Int32Array(4);

/** The register index and rank a value's text hashes to (for tests and tools). */
export function hllRegisterOf(text: string): { index: number; rank: number } {
  md5Words(text, digest);
  return hllRegisterOfHash(digest[0] as number, digest[1] as number);
}

/** Index and rank of the 64-bit hash hi·2^32 + lo (lo, hi as 32-bit words, signed or not). */
export function hllRegisterOfHash(lo: number, hi: number): { index: number; rank: number } {
  return { index: lo & INDEX_MASK, rank: rankOf(lo | 0, hi | 0) };
}

function rankOf(lo: number, hi: number): number {
  if (hi !== 0) return Math.clz32(hi) + 1;
  const rest = lo & ~INDEX_MASK;
  return rest !== 0 ? 33 + Math.clz32(rest) : HLL_MAX_RANK;
}

export class HyperLogLog {
  private sparse: Uint32Array | null = new Uint32Array(4);
  private size = 0;
  private dense: Uint8Array | null = null;

  /** Adds a value given as its text (see `attributeText`). */
  add(text: string): void {
    md5Words(text, digest);
    const lo = digest[0] as number;
    this.addRegister(lo & INDEX_MASK, rankOf(lo, digest[1] as number));
  }

  addRegister(index: number, rank: number): void {
    const dense = this.dense;
    if (dense !== null) {
      if (rank > (dense[index] as number)) dense[index] = rank;
      return;
    }
    this.addSparse(index, rank);
  }

  private addSparse(index: number, rank: number): void {
    let list = this.sparse as Uint32Array;
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((list[mid] as number) >>> 6 < index) lo = mid + 1;
      else hi = mid;
    }
    if (lo < this.size && (list[lo] as number) >>> 6 === index) {
      if (rank > ((list[lo] as number) & 63)) list[lo] = (index << 6) | rank;
      return;
    }
    if (this.size === SPARSE_LIMIT) {
      this.toDense();
      (this.dense as Uint8Array)[index] = rank;
      return;
    }
    if (this.size === list.length) {
      const grown = new Uint32Array(Math.min(list.length * 2, SPARSE_LIMIT));
      grown.set(list);
      list = this.sparse = grown;
    }
    list.copyWithin(lo + 1, lo, this.size);
    list[lo] = (index << 6) | rank;
    this.size++;
  }

  private toDense(): void {
    const dense = new Uint8Array(HLL_REGISTERS);
    const list = this.sparse as Uint32Array;
    for (let i = 0; i < this.size; i++) {
      const packed = list[i] as number;
      dense[packed >>> 6] = packed & 63;
    }
    this.dense = dense;
    this.sparse = null;
    this.size = 0;
  }

  get isSparse(): boolean {
    return this.dense === null;
  }

  /** Element-wise max with `other`, into this sketch; `other` is not modified. */
  mergeFrom(other: HyperLogLog): this {
    if (other.dense !== null) {
      if (this.dense === null) this.toDense();
      const mine = this.dense as Uint8Array;
      const theirs = other.dense;
      for (let i = 0; i < HLL_REGISTERS; i++) if ((theirs[i] as number) > (mine[i] as number)) mine[i] = theirs[i] as number;
      return this;
    }
    const list = other.sparse as Uint32Array;
    for (let i = 0; i < other.size; i++) {
      const packed = list[i] as number;
      this.addRegister(packed >>> 6, packed & 63);
    }
    return this;
  }

  clone(): HyperLogLog {
    const copy = new HyperLogLog();
    if (this.dense !== null) {
      copy.dense = this.dense.slice();
      copy.sparse = null;
    } else {
      copy.sparse = (this.sparse as Uint32Array).slice();
      copy.size = this.size;
    }
    return copy;
  }

  /** Estimated number of distinct values (not rounded). */
  estimate(): number {
    const histogram = new Float64Array(HLL_MAX_RANK + 1);
    const bump = (rank: number): void => {
      histogram[rank] = (histogram[rank] as number) + 1;
    };
    if (this.dense !== null) {
      for (let i = 0; i < HLL_REGISTERS; i++) bump(this.dense[i] as number);
    } else {
      const list = this.sparse as Uint32Array;
      histogram[0] = HLL_REGISTERS - this.size;
      for (let i = 0; i < this.size; i++) bump((list[i] as number) & 63);
    }
    return estimateFromHistogram(histogram, HLL_REGISTERS, 64 - HLL_PRECISION);
  }

  /** All 16 384 registers (a copy). */
  registers(): Uint8Array {
    if (this.dense !== null) return this.dense.slice();
    const out = new Uint8Array(HLL_REGISTERS);
    const list = this.sparse as Uint32Array;
    for (let i = 0; i < this.size; i++) out[(list[i] as number) >>> 6] = (list[i] as number) & 63;
    return out;
  }

  /** The serialized form: sorted `index * 64 + rank` of every non-zero register. */
  toPacked(): number[] {
    if (this.dense === null) return Array.from((this.sparse as Uint32Array).subarray(0, this.size));
    const out: number[] = [];
    const dense = this.dense;
    for (let i = 0; i < HLL_REGISTERS; i++) if (dense[i] !== 0) out.push((i << 6) | (dense[i] as number));
    return out;
  }

  /**
   * Reads the serialized form; numbers or bigints (as DuckDB returns INTEGER/BIGINT lists). Entries may
   * come in any order and an index may repeat (the batch layer writes the registers of a group as
   * DuckDB's list aggregate leaves them): the highest rank of an index counts. `toPacked` writes them
   * sorted by index, one per index.
   */
  static fromPacked(packed: readonly unknown[]): HyperLogLog {
    const values = new Uint32Array(packed.length);
    let sorted = true;
    for (let i = 0; i < packed.length; i++) {
      const item = packed[i];
      const value = typeof item === 'bigint' ? Number(item) : item;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
        throw new StateError(`HyperLogLog entry ${i} must be a non-negative integer index*64+rank (got ${String(item)})`);
      }
      const index = Math.floor(value / 64);
      const rank = value % 64;
      if (index >= HLL_REGISTERS || rank < 1 || rank > HLL_MAX_RANK) {
        throw new StateError(`HyperLogLog entry ${i} = ${value} is out of range (index < ${HLL_REGISTERS}, rank 1..${HLL_MAX_RANK})`);
      }
      values[i] = value;
      if (i > 0 && index <= (values[i - 1] as number) >>> 6) sorted = false;
    }
    // Sorted, the entries of an index are adjacent with the highest rank last; registers are then
    // added in index order (appended to the sparse list, never inserted).
    if (!sorted) values.sort();
    const hll = new HyperLogLog();
    for (let i = 0; i < values.length; i++) {
      const value = values[i] as number;
      if (i + 1 < values.length && (values[i + 1] as number) >>> 6 === value >>> 6) continue;
      hll.addRegister(value >>> 6, value & 63);
    }
    return hll;
  }
}
