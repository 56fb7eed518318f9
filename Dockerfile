# engined sample daemon. Build: docker build -t engined:0.1.0 .
# Run: docker run -e GRPC_HOST=0.0.0.0 -e HTTP_HOST=0.0.0.0 -e DATABASE_URL=postgres://... -p 9003:9003 -p 9004:9004 engined:0.1.0
# Not built in this repository's CI (no container engine there): test/deploy/dockerfile.e2e-spec.ts lays
# out the runtime stage's files as its COPY lines say, runs its CMD as PID 1 of a new PID namespace and
# checks that SIGTERM stops it gracefully with exit code 0 (docs/production.md, "The image").
ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: every dependency, compile, then drop the dev dependencies ---
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Manifests first: the dependency layer is rebuilt only when they change.
COPY package.json package-lock.json ./
COPY libs/resilience/package.json libs/resilience/
RUN npm ci --no-audit --no-fund
# tsconfig.json and, where the build uses project references, tsconfig.build.json.
COPY tsconfig*.json ./
COPY proto proto
COPY libs/resilience libs/resilience
COPY apps apps
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# --- runtime: the compiled daemon and its production dependencies, run as a non-root user ---
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# package.json marks dist/ as ES modules; node_modules/@engined/resilience links to libs/resilience.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/libs/resilience/package.json ./libs/resilience/package.json
COPY --from=build /app/libs/resilience/dist ./libs/resilience/dist
COPY --from=build /app/dist/apps ./dist/apps
COPY --from=build /app/proto ./proto
# The node image's unprivileged user, by number so Kubernetes' runAsNonRoot can verify it. Files stay
# root-owned: the daemon only reads them.
USER 1000:1000
# GRPC_PORT, HTTP_PORT (defaults).
EXPOSE 9003 9004
STOPSIGNAL SIGTERM
# Exec form, no shell and no init: node is PID 1 and receives SIGTERM itself. PID 1 gets no default
# signal action, so this relies on the daemon's own SIGTERM/SIGINT handlers (main.ts): readiness off,
# drain, in-flight calls finished, exit 0. The daemon starts no child processes, so no zombies to reap.
CMD ["node", "dist/apps/engined/src/main.js"]
