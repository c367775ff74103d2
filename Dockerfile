# office365-messagetrace: the Sekoia.io trigger image.
# Build: podman build --pull=never -t office365-messagetrace .   (or docker build)
# The platform runs the entrypoint with one argument, the trigger's docker_parameters,
# e.g. office365_messagetrace_trigger_graph; configuration arrives as /symphony/<name>
# files or environment variables, never in the image.

FROM debian:bookworm AS build
# With --no-install-recommends cmake does not bring make along.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      g++ cmake make \
      libcpprest-dev nlohmann-json3-dev libboost-program-options-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only what the trigger's build reads: tests/ is added only with BUILD_TESTING, which is off.
# A cmake/ folder, if the build gains one, is to be copied here too (.dockerignore lets it in).
# .dockerignore keeps everything else, build trees and .git included, out of the context.
COPY CMakeLists.txt manifest.json ./
COPY module/ module/
COPY triggers/ triggers/
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
 && cmake --build /build -j2 --target office365-messagetrace \
 && bin="$(find /build -type f -name office365-messagetrace -perm -u+x | head -n 1)" \
 && test -n "$bin" \
 && install -D -m 0755 -s "$bin" /out/office365-messagetrace

FROM debian:bookworm-slim
# Runtime libraries only; libcpprest2.10 pulls libssl3, zlib and the Boost libraries it uses.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libcpprest2.10 libboost-program-options1.74.0 ca-certificates \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt/* /var/log/dpkg.log \
 && useradd --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin trigger \
 && install -d -o 10001 -g 10001 -m 0750 /symphony_data
COPY --from=build /out/office365-messagetrace /usr/local/bin/office365-messagetrace
WORKDIR /app
COPY manifest.json trigger_*.json ./
# The connector's checkpoint (context.json) lives here; the platform mounts a volume.
VOLUME /symphony_data
USER 10001
ENTRYPOINT ["/usr/local/bin/office365-messagetrace"]
