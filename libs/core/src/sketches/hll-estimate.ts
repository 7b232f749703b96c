/**
 * Cardinality from HyperLogLog registers with Otmar Ertl's "improved" estimator (Ertl 2017, "New
 * cardinality estimation algorithms for HyperLogLog sketches", algorithm 6). It needs no empirical
 * bias tables and is accurate over the whole range: it behaves like linear counting while registers
 * are mostly empty (the small-range correction) and corrects the large range via tau. Registers hold
 * 0..q+1 where q = 64 − p.
 */
const ALPHA_INF = 0.5 / Math.LN2;

/** `histogram[k]` = number of registers equal to k, for k = 0..q+1; `m` = number of registers. */
export function estimateFromHistogram(histogram: ArrayLike<number>, m: number, q: number): number {
  const count = (k: number): number => histogram[k] ?? 0;
  let z = m * tau((m - count(q + 1)) / m);
  for (let k = q; k >= 1; k--) z = 0.5 * (z + count(k));
  z += m * sigma(count(0) / m);
  return (ALPHA_INF * m * m) / z;
}

function sigma(x: number): number {
  if (x === 1) return Number.POSITIVE_INFINITY;
  let y = 1;
  let z = x;
  let previous: number;
  do {
    x *= x;
    previous = z;
    z += x * y;
    y += y;
  } while (previous !== z);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  let previous: number;
  do {
    x = Math.sqrt(x);
    previous = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
  } while (previous !== z);
  return z / 3;
}
