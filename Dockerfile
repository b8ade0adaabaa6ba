# Dativo as a container image.
#
#   npm ci && npm run build                   # dist/ is built on the host (or in CI) first
#   docker build --network host -t dativo .   # installs production dependencies with npm
#
# The base image is a build argument: any Debian-like image with Node 20 (and npm, unless the
# context already holds production node_modules, as scripts/build-dativo-image.sh prepares when
# the build must run without network).
ARG BASE_IMAGE=node:20-bookworm-slim
FROM ${BASE_IMAGE}

ENV NODE_ENV=production
# Container defaults; the local CLI's defaults are relative to the working directory instead.
ENV DATIVO_SECRETS_DIR=/secrets \
    DATIVO_RUNNER_CONFIG=/data/configs/runner.yaml \
    DATIVO_METRICS_HOST=0.0.0.0
WORKDIR /opt/dativo

COPY package.json package-lock.json ./
COPY bin ./bin
COPY dist ./dist
COPY recipes ./recipes
COPY registry ./registry
COPY examples ./examples
COPY assets ./assets
# The Python plugin runtime reads its sandbox files (runner, compatibility modules) and the Python
# PDK from the package folder at run time, as tsc does not copy them into dist/.
COPY host/plugins/python/sandbox ./host/plugins/python/sandbox
COPY plugin-pdk/python/dativo_pdk ./plugin-pdk/python/dativo_pdk
# node_modules is in the context only when prepared with production dependencies (the repo's
# .dockerignore keeps the host's dev node_modules out); the glob lets this COPY match nothing.
COPY package.json node_module[s] /tmp/deps/
RUN set -eu; \
    rm /tmp/deps/package.json; \
    if [ -n "$(ls -A /tmp/deps)" ]; then mv /tmp/deps ./node_modules; \
    else rm -rf /tmp/deps; npm ci --omit=dev --ignore-scripts --no-audit --no-fund; fi; \
    chmod 0755 bin/dativo.js; \
    ln -s /opt/dativo/bin/dativo.js /usr/local/bin/dativo; \
    node bin/dativo.js --help >/dev/null

# Jobs, data and output live in a mounted working directory; Dativo itself is read-only.
USER 65532:65532
WORKDIR /data
ENTRYPOINT ["node", "/opt/dativo/bin/dativo.js"]
CMD ["--help"]
