import { normalizeRange, type QueryRange, type RangeInput } from '../buckets/query-range';
import { QueryError } from '../errors';
import type { ViewDefinition } from '../views/view';
import type { DimensionValue } from './view-row';

export interface QueryInput extends RangeInput {
  /** Comma-separated dimension names, or a list of them (each may itself be comma-separated). */
  readonly groupBy?: string | readonly string[] | undefined;
  /** `dim:value` items; the same dim repeated means any of the values; `dim:` alone means null. */
  readonly filter?: string | readonly string[] | undefined;
}

export interface ViewQuery extends QueryRange {
  /** Subset of the view's dimensions, in the view's order (so equal queries have one shape). */
  readonly groupBy: readonly string[];
  /** Dimension → accepted values (texts; null for null/missing). */
  readonly filters: ReadonlyMap<string, ReadonlySet<DimensionValue>>;
}

/** Validates and normalizes a query's parameters (CONTRACT.md §4); throws QueryError (400). */
export function normalizeQuery(view: ViewDefinition, input: QueryInput, now: number): ViewQuery {
  const range = normalizeRange(view.granularity, input, now);
  const dims = view.dimensions;
  const known = dims.length > 0 ? dims.join(', ') : 'none: this view has no dimensions';

  const asked = list(input.groupBy).flatMap((item) => item.split(',')).map((s) => s.trim()).filter((s) => s !== '');
  for (const name of asked) {
    if (!dims.includes(name)) {
      throw new QueryError('TRB_QUERY_INVALID_GROUP_BY', `groupBy: "${name}" is not a dimension of view "${view.name}" (dimensions: ${known})`);
    }
  }
  const groupBy = dims.filter((d) => asked.includes(d));

  const filters = new Map<string, Set<DimensionValue>>();
  for (const item of list(input.filter)) {
    const colon = item.indexOf(':');
    if (colon < 0) {
      throw new QueryError('TRB_QUERY_INVALID_FILTER', `filter: "${item}" must be dim:value (or dim: for null)`);
    }
    const name = item.slice(0, colon);
    if (!dims.includes(name)) {
      throw new QueryError('TRB_QUERY_INVALID_FILTER', `filter: "${name}" is not a dimension of view "${view.name}" (dimensions: ${known})`);
    }
    const value = colon === item.length - 1 ? null : item.slice(colon + 1);
    const values = filters.get(name) ?? new Set<DimensionValue>();
    values.add(value);
    filters.set(name, values);
  }
  return { ...range, groupBy, filters };
}

function list(value: string | readonly string[] | undefined): readonly string[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : value;
}
