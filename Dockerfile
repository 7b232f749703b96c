# One image for the three apps; pick one with the command, e.g. `apps/speed-layer/src/main.ts`.
# syntax=docker/dockerfile:1

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY apps/speed-layer/package.json apps/speed-layer/
COPY apps/batch-layer/package.json apps/batch-layer/
COPY apps/serving-api/package.json apps/serving-api/
COPY libs/core/package.json libs/core/
COPY libs/config/package.json libs/config/
COPY libs/runtime/package.json libs/runtime/
COPY libs/adapters/kafka/package.json libs/adapters/kafka/
COPY libs/adapters/redis/package.json libs/adapters/redis/
COPY libs/adapters/duckdb/package.json libs/adapters/duckdb/
COPY libs/adapters/lake/package.json libs/adapters/lake/
COPY tools/package.json tools/
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    LAKE_DIR=/var/lib/tributary/lake \
    VIEWS_FILE=/app/config/views.yaml
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY config ./config
COPY apps ./apps
COPY libs ./libs
RUN mkdir -p /var/lib/tributary/lake && chown -R node:node /var/lib/tributary
USER node
VOLUME ["/var/lib/tributary/lake"]
ENTRYPOINT ["node", "--import", "tsx"]
CMD ["apps/serving-api/src/server.ts"]
