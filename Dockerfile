# etcd-config-operator image. Build with dev dependencies (TypeScript → dist/, esbuild → dist/bundle/),
# then a runtime with production dependencies only, running as a non-root user with an exec-form
# entrypoint (no shell is needed at run time). Build: docker build -t etcd-config-operator:0.1.0 .
#
# The image holds the operator only: dist/ is what src/main.ts imports (tsconfig.build.json), and the
# entrypoint runs its esbuild bundle, dist/bundle/ (scripts/bundle.mjs says why: it loads in ~40 % of
# the time of tsc's module graph, with ~60 % of its memory). Production node_modules stay for
# what the bundle leaves out (re2-wasm, which loads its .wasm file from its own folder). The test bed
# (src/envtest, the sim and demo commands, and the dependencies only they use) is neither in the build
# context (.dockerignore) nor among the production dependencies.
#
# Node 22 LTS: Node 20 reached its end of life in April 2026. @kubernetes/client-node stays on 1.4.x
# (its 2.x needs Node >= 22.19 and we still test on Node 20).
#
# Base image: the maintained major tag node:22-bookworm-slim, which the Node.js image maintainers
# rebuild for every Node 22 patch release and every Debian security update, so a rebuild picks up the
# fixes. (A patch tag such as 22.x.y is frozen once the next patch ships, and cannot be checked against
# the registry from here.) To bump: when Node 22 leaves LTS (April 2027), change the three FROM lines to
# the next LTS major (node:24-bookworm-slim) and run the image test (test/integration/docker). For a
# reproducible build, pin the digest next to the tag in all three FROM lines:
#   docker buildx imagetools inspect node:22-bookworm-slim   # prints "Digest: sha256:..."
#   FROM node:22-bookworm-slim@sha256:<digest> AS build
# and let Renovate or Dependabot (docker ecosystem) move the digest when the tag is rebuilt.

FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle.mjs scripts/
COPY src/ src/
RUN npm run build

FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:22-bookworm-slim AS runtime
LABEL org.opencontainers.image.title="etcd-config-operator" \
      org.opencontainers.image.description="Keeps Kubernetes ConfigMaps in step with etcd prefixes" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules/ node_modules/
COPY --from=build /src/dist/ dist/
COPY package.json ./
COPY bin/ bin/
COPY proto/ proto/
COPY crds/ crds/
# The files stay owned by root and read-only to the operator; it writes nothing but /tmp.
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["node", "bin/etcd-config-operator.js"]
CMD ["run"]
