import { Type } from 'typebox';

/** Request and response schemas of CONTRACT.md §4; the OpenAPI document is generated from them. */

export const ErrorBody = Type.Object(
  {
    statusCode: Type.Integer(),
    code: Type.String(),
    error: Type.String(),
    message: Type.String(),
  },
  { $id: 'Error', description: "fastify's error shape; `code` is one of the TRB_… codes" },
);
const errorRef = Type.Ref('Error');

export const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, errorRef]));

const Metric = Type.Object({
  name: Type.String(),
  kind: Type.Enum(['count', 'sum', 'min', 'max', 'avg', 'distinct']),
  field: Type.Optional(Type.String()),
});

export const ViewsReply = Type.Object({
  views: Type.Array(
    Type.Object({
      name: Type.String(),
      eventTypes: Type.Array(Type.String()),
      granularity: Type.Enum(['minute', 'hour', 'day']),
      dimensions: Type.Array(Type.String()),
      metrics: Type.Array(Metric),
    }),
  ),
});

export const ViewParams = Type.Object({ name: Type.String({ description: 'the view name' }) });

export const QueryString = Type.Object(
  {
    from: Type.Optional(Type.String({ description: 'ISO-8601 with offset or epoch ms; inclusive, floored to the view granularity; default `to` − 1 hour' })),
    to: Type.Optional(Type.String({ description: "ISO-8601 with offset or epoch ms; exclusive, ceiled to the view's granularity; default now" })),
    granularity: Type.Optional(Type.String({ description: "minute, hour, day or all; not finer than the view's; default the view's" })),
    groupBy: Type.Optional(Type.Array(Type.String(), { description: "comma-separated subset of the view's dimensions" })),
    filter: Type.Optional(Type.Array(Type.String(), { description: 'repeatable dim:value (dim: alone = null); the same dim repeated = any of the values' })),
  },
  { additionalProperties: false },
);

const NullableString = Type.Union([Type.String(), Type.Null()]);

export const QueryReply = Type.Object({
  view: Type.String(),
  from: Type.String(),
  to: Type.String(),
  granularity: Type.String(),
  rows: Type.Array(
    Type.Object({
      bucket: Type.String(),
      dims: Type.Record(Type.String(), NullableString),
      metrics: Type.Record(Type.String(), Type.Union([Type.Number(), Type.Null()])),
    }),
  ),
  freshness: Type.Object({
    batchVersion: NullableString,
    batchCompletedAt: NullableString,
    speedLagMessages: Type.Union([Type.Integer(), Type.Null()], { description: 'null when Kafka or Redis cannot tell' }),
  }),
});

export const RunRequest = Type.Object(
  { views: Type.Optional(Type.Array(Type.String(), { minItems: 1, description: 'views to recompute; default all' })) },
  { additionalProperties: false },
);

export const RunQueued = Type.Object({ id: Type.String(), status: Type.Literal('queued') });

export const BatchRun = Type.Object({
  id: Type.String(),
  status: Type.Enum(['queued', 'running', 'succeeded', 'failed']),
  progress: Type.Integer({ minimum: 0, maximum: 100 }),
  createdAt: NullableString,
  startedAt: NullableString,
  finishedAt: NullableString,
  error: NullableString,
  stats: Type.Object({ rowsRead: Type.Integer(), filesRead: Type.Integer(), rejected: Type.Integer(), durationMs: Type.Integer() }),
  version: NullableString,
});

export const RunParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });
export const RunsQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 20 })) }, { additionalProperties: false });
export const RunsReply = Type.Object({ runs: Type.Array(BatchRun) });

export const EventsBody = Type.Union(
  [
    Type.Object({}, { additionalProperties: true, description: 'one event' }),
    Type.Array(Type.Object({}, { additionalProperties: true }), { description: 'a JSON array of events' }),
    Type.String({ description: 'NDJSON (content-type: application/x-ndjson), one event per line' }),
  ],
  { description: 'CONTRACT.md §1 events; at most 1 MiB' },
);

export const EventsReply = Type.Object({
  accepted: Type.Integer(),
  rejected: Type.Array(Type.Object({ index: Type.Integer(), reason: Type.String() })),
});

export const HealthReply = Type.Object({ status: Type.String() });
export const ReadyReply = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not ready')]),
  checks: Type.Array(Type.Object({ name: Type.String(), ok: Type.Boolean(), error: Type.Optional(Type.String()) })),
});
