# syntax=docker/dockerfile:1
# The C services (and the todo-events tool), built from source with the
# repo's CMake and shipped one per image on a slim Debian runtime:
#
#   docker build --target service --build-arg SERVICE=task-service -t todo-suite/task-service .
#
# SERVICE is a folder of services/ or todo-events. BASE_IMAGE defaults to the
# official debian:bookworm-slim; the deployment tests pass one made locally
# with debootstrap (scripts/deploy/base-image.sh). `make images` builds them
# all. The build stage is the same for every service, so it runs once.
ARG BASE_IMAGE=debian:bookworm-slim

FROM ${BASE_IMAGE} AS build
ARG JOBS=2
# The -dev packages are the ones scripts/install-deps.sh names (one list for
# the machine and the image), less the fuzzing runtime.
COPY scripts/install-deps.sh /tmp/install-deps.sh
RUN set -eu; \
    dev=$(grep -o '\blib[a-z0-9.+-]*-dev\b' /tmp/install-deps.sh | grep -v '^libclang' | sort -u); \
    apt-get update -qq; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      build-essential cmake ninja-build pkg-config ca-certificates $dev >/dev/null; \
    rm -rf /var/lib/apt/lists/*
# Only what CMake reads, so that a change elsewhere (the web app, say)
# reuses the compiled stage.
COPY CMakeLists.txt /src/
COPY common /src/common
COPY services /src/services
COPY tools /src/tools
COPY bench /src/bench
COPY proto /src/proto
COPY deploy/images /src/deploy/images
RUN set -eu; \
    cmake -S /src -B /build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null; \
    targets="$(ls /src/services) todo-events"; \
    cmake --build /build -j "$JOBS" --target $targets; \
    for t in $targets; do \
      mkdir -p /out/$t/usr/local/bin /out/$t/usr/share/todo-suite; \
      strip -o /out/$t/usr/local/bin/$t /build/bin/$t; \
      ln -s $t /out/$t/usr/local/bin/todo-service; \
      cp /src/deploy/images/healthcheck.sh /out/$t/usr/local/bin/todo-healthcheck; \
      /src/deploy/images/runtime-packages.sh /build/bin/$t > /out/$t/usr/share/todo-suite/packages; \
    done

FROM ${BASE_IMAGE} AS service
ARG BASE_IMAGE
ARG SERVICE
# Only the packages of the libraries this service links (and their data:
# zone rules, CA certificates), derived in the build stage.
COPY --from=build /out/${SERVICE}/usr/share/todo-suite/packages /usr/share/todo-suite/packages
RUN set -eu; \
    apt-get update -qq; \
    DEBIAN_FRONTEND=noninteractive xargs -r apt-get install -y -qq --no-install-recommends \
      < /usr/share/todo-suite/packages >/dev/null; \
    rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log; \
    useradd --system --uid 10001 --user-group --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin todo
COPY --from=build /out/${SERVICE}/ /
# Declared here, after the steps that cost: a new revision or date changes
# only the label.
ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="todo-suite ${SERVICE}" \
      org.opencontainers.image.description="todo-suite ${SERVICE}: a C service of the todo suite, run beside a Dapr sidecar" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="${BASE_IMAGE}"
# Listens on every address of its own network namespace; a deployment
# narrows it (HOST=127.0.0.1 where only the sidecar calls in).
ENV HOST=0.0.0.0 PORT=8080
EXPOSE 8080
# Writes nothing to its root file system: runs with a read-only one.
USER 10001:10001
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["/usr/local/bin/todo-healthcheck"]
ENTRYPOINT ["/usr/local/bin/todo-service"]
