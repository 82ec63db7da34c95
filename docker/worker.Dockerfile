# Flight Control worker: dials the server, runs agents (Goose, Claude Code, Codex, shell).
#
#   docker build -f docker/worker.Dockerfile -t flightcontrol-worker .      (context: the repo root)
#
# Build arguments:
#   GOOSE_VERSION          pin a goose release (e.g. v1.20.0); empty = the upstream "stable" release
#   GOOSE_LINUX_VARIANT    musl (default: a static build, independent of the image's glibc) or standard
#   INSTALL_AGENT_CLIS     true (default): Claude Code and Codex from npm at the versions the tests run
#                          (scripts/agent-clis.json); false leaves them out (the image is ~800 MB smaller)
#   AGENT_NPM_PACKAGES     more CLIs from npm, installed globally
# Works with BuildKit and with the legacy builder (no BuildKit-only syntax).

ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: generated stubs ------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json buf.yaml buf.gen.yaml ./
COPY scripts ./scripts
COPY proto ./proto
COPY server/package.json ./server/
COPY worker/package.json ./worker/
COPY ui/package.json ./ui/
# --ignore-scripts skips native builds nobody here needs; the root postinstall it also skips is
# exactly `npm run generate`, run explicitly.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm run generate

# --- deps: production dependencies of the worker workspace only ---------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY server/package.json ./server/
COPY worker/package.json ./worker/
COPY ui/package.json ./ui/
# --ignore-scripts: the root postinstall (`npm run generate`) needs dev dependencies (buf,
# protoc-gen-es); the stubs come from the build stage. esbuild (under tsx) gets its own script back.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --workspace worker \
 && npm rebuild esbuild \
 && mkdir -p worker/node_modules

# --- goose: the upstream install script, non-interactive --------------------------------------------
FROM ${NODE_IMAGE} AS goose
ARG GOOSE_VERSION=
ARG GOOSE_LINUX_VARIANT=musl
ARG GOOSE_INSTALL_SCRIPT=https://github.com/aaif-goose/goose/releases/download/stable/download_cli.sh
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl bzip2 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /tmp/goose-install
# CONFIGURE=false: no interactive `goose configure`. GOOSE_BIN_DIR is on PATH, so the script asks
# nothing about PATH either. Providers and models come from each job and its credentials.
RUN curl -fsSL "${GOOSE_INSTALL_SCRIPT}" -o download_cli.sh \
 && CONFIGURE=false GOOSE_BIN_DIR=/usr/local/bin GOOSE_VERSION="${GOOSE_VERSION}" \
    GOOSE_LINUX_VARIANT="${GOOSE_LINUX_VARIANT}" bash download_cli.sh \
 && /usr/local/bin/goose --version

# --- runtime --------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ARG INSTALL_AGENT_CLIS=true
ARG AGENT_NPM_PACKAGES=
# git: agents clone and commit; ripgrep: goose's developer tools search with it; curl: agents fetch
# things; tini: PID 1 that forwards SIGTERM to the worker (which then drains) and reaps the zombies
# agents leave behind; bubblewrap: the sandbox each run's setup script and agent run in
# (ORCH_SANDBOX; it needs the security_opt of docker-compose.yml's worker service).
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates curl ripgrep tini bubblewrap \
 && rm -rf /var/lib/apt/lists/*
COPY --from=goose /usr/local/bin/goose /usr/local/bin/goose
# The same install script and pins as the tests' (it checks that both CLIs start at those versions).
COPY scripts/agent-clis.json scripts/install-agent-clis.mjs /tmp/agent-clis/
RUN goose --version \
 && if [ "${INSTALL_AGENT_CLIS}" = "true" ]; then \
      node /tmp/agent-clis/install-agent-clis.mjs --prefix /opt/agent-clis \
      && ln -s /opt/agent-clis/node_modules/.bin/claude /usr/local/bin/claude \
      && ln -s /opt/agent-clis/node_modules/.bin/codex /usr/local/bin/codex \
      && npm cache clean --force; \
    fi \
 && rm -rf /tmp/agent-clis \
 && if [ -n "${AGENT_NPM_PACKAGES}" ]; then \
      npm install --global --no-audit --no-fund ${AGENT_NPM_PACKAGES} && npm cache clean --force; \
    fi
# No NODE_ENV=production here: agents inherit the worker's environment, and an `npm install` they run
# in a project would then skip its devDependencies.
ENV ORCH_WORK_DIR=/tmp/flightcontrol-worker
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# Packages npm nests under the workspace when versions conflict (the folder may be empty).
COPY --from=deps /app/worker/node_modules ./worker/node_modules
COPY package.json tsconfig.base.json ./
COPY worker/package.json worker/tsconfig.json ./worker/
COPY worker/src ./worker/src
# The send queue is shared with the server (and the bench): imported from ../../shared-src.
COPY shared-src/send-queue.ts ./shared-src/
COPY --from=build /app/worker/src/gen ./worker/src/gen
COPY docker/worker-entrypoint.sh /usr/local/bin/worker-entrypoint
USER node
WORKDIR /app/worker
# The worker only dials out: it listens on nothing, so there is no port and no HTTP health check.
# The entrypoint keeps the worker key out of every process's environment, then execs tini.
ENTRYPOINT ["/usr/local/bin/worker-entrypoint"]
CMD ["node", "--import", "tsx", "src/main.ts"]
