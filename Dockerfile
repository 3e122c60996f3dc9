# syntax=docker/dockerfile:1
# One image per service: docker build --build-arg SERVICE=order -t shop-order .
# (docker-compose.yml builds all five, and the fake card provider with PACKAGE and PACKAGE_DIR).
# The steps mirror the native build exactly: `npm ci`, then `turbo run build`, on the subset of
# the monorepo the package needs.

ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS base
ENV TURBO_TELEMETRY_DISABLED=1 \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
WORKDIR /app

# 1. Keep only the service and the workspace packages it depends on.
FROM base AS pruner
ARG SERVICE
ARG PACKAGE=@shop/${SERVICE}-service
RUN test -n "${SERVICE}" || { echo "set --build-arg SERVICE=<order|inventory|payment|warehouse|email>" >&2; exit 1; }
COPY . .
# The turbo version the lockfile pins, so pruning behaves as it does on a developer's machine.
RUN npm install --global "turbo@$(node -p "require('./package-lock.json').packages['node_modules/turbo'].version")" \
 && turbo prune "${PACKAGE}" --docker

# 2. Install from the pruned manifests first, so this layer is reused until a dependency changes.
FROM base AS builder
COPY --from=pruner /app/out/json/ ./
RUN npm ci
COPY --from=pruner /app/out/full/ ./
# Every package's tsconfig extends it, and `turbo prune` copies workspaces only.
COPY --from=pruner /app/tsconfig.base.json ./tsconfig.base.json
RUN npx turbo run build \
 && npm prune --omit=dev

# 3. Runtime: built output and production dependencies, as the unprivileged `node` user.
FROM base AS runner
ARG SERVICE
ARG PACKAGE_DIR=services/${SERVICE}
ENV NODE_ENV=production
COPY --from=builder --chown=node:node /app /app
# WORKDIR expands the build argument where an exec-form CMD cannot; exec form keeps node as the
# process that receives SIGTERM, which the services handle as a graceful stop. The node arguments
# are those of SERVICE_NODE_ARGS in tools/stack/src/service-catalog.ts: keep the two the same.
WORKDIR /app/${PACKAGE_DIR}
USER node
CMD ["node", "--max-semi-space-size=1", "--max-old-space-size=128", "--require", "@shop/telemetry/register", "dist/src/main.js"]
