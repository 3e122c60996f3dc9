# syntax=docker/dockerfile:1
# One image for the five services and the fake card provider, built once:
#   docker build -t shop:local .
# docker-compose.yml runs it once per service, each in its own folder (working_dir). The steps
# mirror the native build exactly: `npm ci`, then `turbo run build`. infra/docker/check-image.sh
# builds and runs it for real.

ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS base
ENV TURBO_TELEMETRY_DISABLED=1 \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
WORKDIR /app

# 1. Keep only what the services (every workspace under services/) and the provider need of the monorepo.
FROM base AS pruner
COPY . .
# The turbo version the lockfile pins, so pruning behaves as it does on a developer's machine.
RUN npm install --global "turbo@$(node -p "require('./package-lock.json').packages['node_modules/turbo'].version")" \
 && turbo prune $(for f in services/*/package.json; do node -p "require('./$f').name"; done) @shop/payment-provider --docker

# 2. Install from the pruned manifests first, so this layer is reused until a dependency changes;
#    then build, drop the development dependencies, and everything but the compiled code.
FROM base AS builder
COPY --from=pruner /app/out/json/ ./
RUN npm ci
COPY --from=pruner /app/out/full/ ./
# Every package's tsconfig extends it, and `turbo prune` copies workspaces only.
COPY --from=pruner /app/tsconfig.base.json ./tsconfig.base.json
RUN npx turbo run build \
 && npm prune --omit=dev \
 && rm -rf packages/*/src packages/*/test packages/*/dist/test services/*/src services/*/test services/*/dist/test \
           tools/*/src tools/*/test tools/*/dist/test tsconfig.base.json */*/tsconfig.json .turbo */*/.turbo \
 && find . -name '*.map' -delete

# 3. Runtime: compiled code and production dependencies, owned by root, so the unprivileged
#    `node` user the processes run as cannot change them.
FROM base AS runner
# The services listen on the loopback unless HOST says otherwise; in a container, every interface.
ENV NODE_ENV=production \
    HOST=0.0.0.0
COPY --from=builder /app /app
USER node
# Exec form keeps node as the process that receives SIGTERM, which the services handle as a
# graceful stop. The node arguments are those of SERVICE_NODE_ARGS in packages/catalog/src/service-process.ts:
# keep the two the same. Compose sets the working directory to the service's folder.
WORKDIR /app/services/order
CMD ["node", "--max-semi-space-size=1", "--max-old-space-size=128", "--require", "@shop/telemetry/register", "dist/src/main.js"]
