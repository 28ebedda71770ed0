# One image, two entry points:
#   node dist/service/cli.js serve   the Cloud Run webhook service (the default CMD)
#   claude-gitlab-flow run           the in-CI-job runner, with Claude Code's native `claude` binary on PATH
#                                    (the one @anthropic-ai/claude-agent-sdk pins for linux-x64)
# test/docker/dockerfile.test.ts executes this file's steps on a clean copy of the repository, so keep
# to the instructions it understands (FROM … AS, WORKDIR, COPY [--from], RUN, ENV, USER, EXPOSE, CMD).

# ---- build: full install, type-check and compile to dist/, bundle the entry point ----
FROM node:20.20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle.mjs ./scripts/
COPY service ./service
RUN npm run build

# ---- runtime: production dependencies and dist/ only, non-root ----
FROM node:20.20-bookworm-slim AS runtime
# git for `run` (it clones, diffs and pushes); ca-certificates so git trusts https remotes.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# The user Claude Code runs as inside a CI job: the runner runs as root (the templates set
# `image: docker: user: root`) and starts Claude Code as this unprivileged user, with no credential,
# in a copy of the checkout. The service itself runs as `node`.
RUN groupadd --system --gid 10001 claude-agent \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin claude-agent
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin/claude-gitlab-flow /usr/local/bin/claude-gitlab-flow
COPY --from=build /app/node_modules/@anthropic-ai/claude-agent-sdk-linux-x64/claude /usr/local/bin/claude
USER node
EXPOSE 8080
CMD ["node", "dist/service/cli.js", "serve"]
