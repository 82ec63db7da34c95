# Flight Control server: the control plane and the built dashboard, on one port (8080).
#
#   docker build -f docker/server.Dockerfile -t flightcontrol-server .      (context: the repo root)
#
# Stages: build (dev dependencies: protobuf stubs + dashboard), deps (production node_modules with the
# native better-sqlite3 module, compiled on the same base image as the runtime), runtime.
# Works with BuildKit and with the legacy builder (no BuildKit-only syntax).

ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: generated stubs and the dashboard ----------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# What `npm run generate` reads: the contract, the buf configuration and the vendoring script.
COPY package.json package-lock.json tsconfig.base.json buf.yaml buf.gen.yaml ./
COPY scripts ./scripts
COPY proto ./proto
COPY server/package.json ./server/
COPY worker/package.json ./worker/
COPY ui/package.json ./ui/
# --ignore-scripts skips compiling better-sqlite3 here (the runtime gets its own build in `deps`);
# the root postinstall it also skips is exactly `npm run generate`, run explicitly next.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm run generate
COPY ui ./ui
RUN npm run build -w ui

# --- deps: production dependencies of the server workspace only ---------------------------------
FROM ${NODE_IMAGE} AS deps
# better-sqlite3 downloads a prebuilt binary when one matches, else compiles with node-gyp.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY server/package.json ./server/
COPY worker/package.json ./worker/
COPY ui/package.json ./ui/
# --ignore-scripts: the root postinstall (`npm run generate`) needs buf and protoc-gen-es, which are
# dev dependencies; the stubs come from the build stage instead. Then only the packages that need
# their install scripts get them (npm rebuild with names runs no root script).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --workspace server \
 && npm rebuild better-sqlite3 esbuild \
 && node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()" \
 && mkdir -p server/node_modules

# --- runtime --------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    ORCH_DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# Packages npm nests under the workspace when versions conflict (the folder may be empty).
COPY --from=deps /app/server/node_modules ./server/node_modules
COPY package.json tsconfig.base.json ./
COPY server/package.json server/tsconfig.json ./server/
COPY server/src ./server/src
# The send queue is shared with the worker (and the bench): imported from ../../shared-src.
COPY shared-src/send-queue.ts ./shared-src/
COPY --from=build /app/server/src/gen ./server/src/gen
# Served from ../../ui/dist relative to server/src (the ORCH_UI_DIR default).
COPY --from=build /app/ui/dist ./ui/dist
# The SQLite database and the generated master key live in /data; the volume keeps them.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
WORKDIR /app/server
EXPOSE 8080
# /readyz answers 200 once the database answers. No curl in slim images: node's http(s) client,
# over TLS too when ORCH_TLS_CERT/KEY are set (the certificate may be self-signed, so not verified).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const tls=Boolean(process.env.ORCH_TLS_CERT&&process.env.ORCH_TLS_KEY);require(tls?'node:https':'node:http').get({host:'127.0.0.1',port:Number(process.env.ORCH_PORT||8080),path:'/readyz',timeout:4000,rejectUnauthorized:false},(r)=>process.exit(r.statusCode===200?0:1)).on('timeout',()=>process.exit(1)).on('error',()=>process.exit(1))"]
CMD ["node", "--import", "tsx", "src/main.ts"]
