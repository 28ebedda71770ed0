# Two images from one file, both on Node 24 LTS (the code also runs on Node 20, its engines floor):
#   --target service   the Cloud Run webhook service, `node dist/service/cli.js serve` (the last stage, so
#                      also what a plain `docker build .` builds). No Claude Code, no git.
#   --target runner    the in-CI-job runner, `claude-gitlab-flow run`, with git, the `claude-agent` user
#                      and Claude Code's native `claude` binary for the platform the image is built for.
# test/docker/dockerfile.test.ts executes this file's steps on a clean copy of the repository, so keep
# to the instructions it understands (FROM … AS, WORKDIR, COPY [--from], RUN, ENV, USER, EXPOSE, CMD).

# ---- build: full install, type-check and compile to dist/, bundle the entry point ----
FROM node:24.13-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# Claude Code comes with @anthropic-ai/claude-agent-sdk (a devDependency), whose optional package for this
# platform npm ci just installed (-linux-x64, -linux-arm64, …): the script picks that one, so the binary
# matches the image's architecture (docker build --platform linux/arm64 gets the arm64 one).
COPY scripts/claude-binary.mjs ./scripts/
RUN node scripts/claude-binary.mjs claude-code/claude
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle.mjs scripts/bundle-options.mjs ./scripts/
COPY service ./service
RUN npm run build

# ---- deps: production dependencies only, the same for both targets ----
# The agent SDK and its platform packages are devDependencies, so neither image has them.
FROM node:24.13-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# ---- runner: the CI job image (CLAUDE_FLOW_IMAGE in the templates) ----
FROM node:24.13-bookworm-slim AS runner
# git for `run` (it clones, diffs and pushes); ca-certificates so git trusts https remotes.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# The user Claude Code runs as inside a CI job: the runner runs as root (the templates set
# `image: docker: user: root`) and starts Claude Code as this unprivileged user, with no credential,
# in a copy of the checkout.
RUN groupadd --system --gid 10001 claude-agent \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin claude-agent
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin/claude-gitlab-flow /usr/local/bin/claude-gitlab-flow
COPY --from=build /app/claude-code/claude /usr/local/bin/claude
USER node
CMD ["node", "dist/service/cli.js", "run", "--help"]

# ---- service: the Cloud Run image (service.image in the infra config), non-root ----
FROM node:24.13-bookworm-slim AS service
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 8080
CMD ["node", "dist/service/cli.js", "serve"]
