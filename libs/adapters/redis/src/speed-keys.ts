/**
 * Every Redis key of the speed store, built here and nowhere else (bullmq's queue-keys model).
 * Keys of one view share the hash tag `{<view>}` so a view's buckets stay in one Redis Cluster slot.
 *
 *   <p>:marker                     present while Redis holds our state; gone = data loss
 *   <p>:generation                 current generation g (integer)
 *   <p>:offsets:<topic>            hash partition -> next offset the speed layer applies
 *   <p>:cuts:<topic>               hash generation -> JSON {partition: offset} recorded by a cut
 *   <p>:pointer                    JSON of the published batch version {version, generation, cut}
 *   <p>:cleaned                    highest generation whose keys were deleted
 *   <p>:seen:<slice>               set of event ids first seen in that time slice (dedup window)
 *   <p>:recovery                   lock held while one instance rebuilds a lost store
 *   <p>:{<view>}:g<g>:<bucket>     hash of the view's states of generation g in one bucket
 *   <p>:{<view>}:g<g>:buckets      set of the buckets that generation g touched
 */
export interface SpeedKeys {
  readonly prefix: string;
  readonly marker: string;
  readonly generation: string;
  readonly pointer: string;
  readonly cleaned: string;
  readonly recovery: string;
  offsets(topic: string): string;
  cuts(topic: string): string;
  seen(slice: number): string;
  bucketStates(view: string, generation: number, bucket: number): string;
  bucketIndex(view: string, generation: number): string;
}

export function createSpeedKeys(prefix = 'trb'): SpeedKeys {
  if (!/^[A-Za-z0-9_.-]+$/.test(prefix)) {
    throw new TypeError(`Redis key prefix "${prefix}" may hold only letters, digits, ".", "_" and "-"`);
  }
  return {
    prefix,
    marker: `${prefix}:marker`,
    generation: `${prefix}:generation`,
    pointer: `${prefix}:pointer`,
    cleaned: `${prefix}:cleaned`,
    recovery: `${prefix}:recovery`,
    offsets: (topic) => `${prefix}:offsets:${topic}`,
    cuts: (topic) => `${prefix}:cuts:${topic}`,
    seen: (slice) => `${prefix}:seen:${slice}`,
    bucketStates: (view, generation, bucket) => `${prefix}:{${view}}:g${generation}:${bucket}`,
    bucketIndex: (view, generation) => `${prefix}:{${view}}:g${generation}:buckets`,
  };
}
