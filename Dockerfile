# syntax=docker/dockerfile:1

# bookworm-slim rather than alpine: glibc keeps PGlite's WASM build and any prebuilt binaries on their tested path.
ARG NODE_IMAGE=node:22-bookworm-slim

# ---- build: full install (typescript lives in devDependencies), compile to dist/
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build

# ---- deps: a clean production-only node_modules (cleaner than pruning the build tree)
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# No runtime dependency needs an install script; the ones that do (esbuild, @swc/core) are dev-only.
RUN npm ci --omit=dev && npm cache clean --force

# ---- runtime
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    DATA_DIR=/data
WORKDIR /app

# Embedded PGlite database lives here when DATABASE_URL is unset; mount a volume on it to keep data.
RUN mkdir -p /data && chown node:node /data

COPY --chown=node:node package.json ./
COPY --chown=node:node --from=deps /app/node_modules ./node_modules
COPY --chown=node:node --from=build /app/dist ./dist
# Resolved at runtime as <app>/migrations from dist/src/db/connect.js.
COPY --chown=node:node migrations ./migrations

USER node
EXPOSE 3000

# No curl in slim images: use Node's built-in fetch. Reads PORT from the container env at check time.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# Exec form so node is PID 1 and receives SIGTERM directly for the graceful drain (~25 s).
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/main.js"]
