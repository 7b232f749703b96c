/** An attribute value: anything but `id`, `type` and `ts` in an event (CONTRACT.md §1). */
export type AttributeValue = string | number | boolean | null;

/** A valid event, with `ts` in epoch milliseconds and its attributes apart. */
export interface NormalizedEvent {
  readonly id: string;
  readonly type: string;
  readonly ts: number;
  readonly attrs: Readonly<Record<string, AttributeValue>>;
}

export type ValidationResult = { readonly ok: true; readonly event: NormalizedEvent } | { readonly ok: false; readonly reason: string };

export const MAX_ID_LENGTH = 128;
export const MAX_TYPE_LENGTH = 64;
export const DEFAULT_MAX_FUTURE_SKEW_MS = 86_400_000;

/**
 * The text of an attribute value, used wherever values compare as strings: dimension values, the
 * values `distinct` hashes, query filters (CONTRACT.md §1, §4). A string is itself, a number is
 * JavaScript's shortest round-trip form (`1`, `1.5`, `1e+21`; `-0` is `0`), a boolean is `true` or
 * `false`; null and missing are `null` (not the text "null"). The batch layer stores exactly these
 * texts (see `toNormalizedRow`), so SQL never formats a number itself.
 */
export function attributeText(value: AttributeValue | undefined): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : String(value);
}
