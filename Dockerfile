# office365-messagetrace: the Sekoia.io trigger image, laid out as the platform's module images
# are (automation-library's Dockerfiles): WORKDIR /app holding manifest.json and the catalog
# files, user sekoiaio-runtime (uid 1000, what their `useradd` gives), the binary as ENTRYPOINT.
# Build: podman build --pull=never --build-arg VERSION="$(jq -r .version manifest.json)" \
#          -t office365-messagetrace .   (or docker build; scripts/container-test.sh does it)
# The platform runs the entrypoint with one argument, the trigger's docker_parameters,
# e.g. office365_messagetrace_trigger_graph; configuration arrives as /symphony/<name>
# files or environment variables, never in the image.

# The base images, pinned by digest when the builder has them (scripts/container-test.sh
# passes the digests of the images scripts/make-base-images.sh made).
ARG BUILD_IMAGE=docker.io/library/debian:bookworm
ARG RUNTIME_IMAGE=docker.io/library/debian:bookworm-slim

FROM ${BUILD_IMAGE} AS build
# The module's version, for the image's label: must be manifest.json's (checked below).
ARG VERSION
# With --no-install-recommends cmake does not bring make along.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      g++ cmake make \
      libcpprest-dev nlohmann-json3-dev libboost-program-options-dev libssl-dev \
      libcpp-httplib-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only what the trigger's build reads: tests/ is added only with BUILD_TESTING, which is off.
# A cmake/ folder, if the build gains one, is to be copied here too (.dockerignore lets it in).
# .dockerignore keeps everything else, build trees and .git included, out of the context.
COPY CMakeLists.txt manifest.json ./
COPY module/ module/
COPY triggers/ triggers/
RUN grep -q "\"version\": \"${VERSION}\"" manifest.json \
 || { echo "VERSION='${VERSION}' is not manifest.json's version; build with --build-arg VERSION=<manifest version>" >&2; exit 1; }
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
 && cmake --build /build -j2 --target office365-messagetrace \
 && bin="$(find /build -type f -name office365-messagetrace -perm -u+x | head -n 1)" \
 && test -n "$bin" \
 && install -D -m 0755 -s "$bin" /out/office365-messagetrace

FROM ${RUNTIME_IMAGE}
ARG VERSION
LABEL org.opencontainers.image.title="office365-messagetrace" \
      org.opencontainers.image.description="Sekoia.io module: Microsoft 365 message traces (Graph and Reporting Web Service) to a Sekoia.io intake" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="https://github.com/SEKOIA-IO/automation-library" \
      org.opencontainers.image.licenses="MIT"
# Runtime libraries only; libcpprest2.10 pulls libssl3, zlib and the Boost libraries it uses,
# libcpp-httplib0.11 (the health server) libssl3, zlib and brotli.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libcpprest2.10 libcpp-httplib0.11 libboost-program-options1.74.0 ca-certificates \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt/* /var/log/dpkg.log \
 && useradd --uid 1000 --user-group --create-home --shell /bin/bash sekoiaio-runtime \
 && install -d -o 1000 -g 1000 -m 0750 /symphony_data
COPY --from=build /out/office365-messagetrace /usr/local/bin/office365-messagetrace
WORKDIR /app
COPY manifest.json trigger_*.json connector_*.json ./
# The connector's checkpoint (context.json) lives here; the platform mounts a volume. With the
# Python triggers' uid, a volume they wrote stays writable.
VOLUME /symphony_data
# /health (liveness_port) and /metrics (metrics_port), the SDK's defaults.
EXPOSE 8000 8020
# Numeric, so a Kubernetes runAsNonRoot policy can verify it; it is sekoiaio-runtime.
USER 1000
ENTRYPOINT ["/usr/local/bin/office365-messagetrace"]
