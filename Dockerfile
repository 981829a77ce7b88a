# AffectServe container image. Stages:
#   runtime-base  Debian 12 with the runtime libraries only (LibTorch, gRPC, OpenCV,
#                 OpenBLAS ...), a non-root user, no compilers
#   prebuilt      runtime-base + binaries and models this checkout already built
#                 (build/ and models/repository/): what CI tests, it compiles nothing
#   build         the from-source build (packages, compile, fetch + convert the models)
#   runtime       runtime-base + the build stage's output (the default target)
#
# From source (CPU, everything from Debian 12 packages; about 11 min on 2 idle cores, from
# nothing cached: README "Deployment"):
#   docker build --network host -t affectserve .
# From this checkout's build (after scripts/build.sh affect-server affect-client and
# scripts/prepare-models.sh; seconds):
#   docker build --network host --target prebuilt -t affectserve .
# Run (read-only root filesystem works; /tmp is the only scratch space it wants):
#   docker run --rm --read-only --tmpfs /tmp -p 50051:50051 -p 9464:9464 affectserve
# podman works the same way (`podman build --format docker` keeps the HEALTHCHECK).
#
# GPU: build against an official CUDA LibTorch (the cxx11-ABI zip, whose ABI matches
# Debian's gRPC and Abseil); the zip bundles the CUDA runtime, the host provides the driver
# (NVIDIA container toolkit, `docker run --gpus all`, or the NVIDIA device plugin on
# Kubernetes: deploy/k8s/overlays/gpu):
#   docker build --network host \
#     --build-arg LIBTORCH_URL=https://download.pytorch.org/libtorch/cu121/libtorch-cxx11-abi-shared-with-deps-2.1.2%2Bcu121.zip \
#     -t affectserve:gpu .
# The server picks CUDA at run time (--device=auto) and falls back to CPU. The CUDA variant
# has not been built on this project's machines (no GPU, no route to download.pytorch.org).
#
# Build stages reach Debian's archive and the npm registry (packages, model weights);
# nothing is downloaded when the container runs.

ARG DEBIAN_IMAGE=debian:bookworm

FROM ${DEBIAN_IMAGE} AS runtime-base
# The shared libraries affect-server and affect-client link (objdump -p: NEEDED), and
# OpenBLAS: LibTorch calls libblas.so.3 and the reference BLAS is ~12x slower.
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends libtorch1.13 libgrpc++1.51 libprotobuf32 libabsl20220623 \
      libopencv-core406 libopencv-imgproc406 libopencv-imgcodecs406 libopencv-videoio406 \
      libprometheus-cpp-core1.0 libopenblas0-pthread \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
    && useradd --system --uid 10001 --user-group --home-dir /srv/affectserve \
         --shell /usr/sbin/nologin affect \
    && mkdir -p /srv/affectserve/models
WORKDIR /srv/affectserve
# OMP_WAIT_POLICY: OpenMP threads sleep between batches instead of spinning (the server
# sets it too, this keeps `affect-client` and tools quiet). HOME: nothing is written there,
# but libraries that look for a cache folder find /tmp, the one writable place.
ENV LD_LIBRARY_PATH=/opt/libtorch/lib \
    OMP_WAIT_POLICY=PASSIVE \
    HOME=/tmp
# gRPC (and grpc.health.v1 for probes), Prometheus /metrics.
EXPOSE 50051 9464
# Numeric so that Kubernetes' runAsNonRoot can check it.
USER 10001:10001
# grpc.health.v1 through the client; SERVING only once every model is loaded.
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
  CMD ["/usr/local/bin/affect-client", "health", "--server=127.0.0.1:50051", "--deadline=4s"]
# --host=0.0.0.0, --metrics_host=0.0.0.0: reachable through the container's published
# ports (/metrics listens on loopback by default; add --metrics_token_file or keep 9464
# off public networks: SECURITY.md). Kubernetes adds --flagfile
# (deploy/k8s/base/flags.txt) as an argument.
ENTRYPOINT ["/usr/local/bin/affect-server", "--model_repository=/srv/affectserve/models/repository", "--host=0.0.0.0", "--metrics_host=0.0.0.0"]

FROM runtime-base AS prebuilt
# .dockerignore lets in only these two binaries from build/ and the converted models.
COPY build/server/affect-server build/client/cli/affect-client /usr/local/bin/
COPY models/repository /srv/affectserve/models/repository

FROM ${DEBIAN_IMAGE} AS build
ARG LIBTORCH_URL=""
# Parallel compile jobs (scripts/build.sh); each LibTorch/gRPC unit needs ~1.5 GB.
ARG AFFECT_JOBS=2
WORKDIR /src
COPY scripts/install-deps.sh scripts/install-deps.sh
# AFFECT_DEPS=build: the build and model packages, not the deployment test tools.
RUN AFFECT_DEPS=build scripts/install-deps.sh \
    && apt-get install -y -qq --no-install-recommends unzip binutils \
    && rm -rf /var/lib/apt/lists/*
# Optional CUDA LibTorch, found before Debian's CPU-only one.
RUN if [ -n "$LIBTORCH_URL" ]; then \
      curl -fsSL "$LIBTORCH_URL" -o /tmp/libtorch.zip && unzip -q /tmp/libtorch.zip -d /opt \
      && rm /tmp/libtorch.zip; \
    else mkdir -p /opt/libtorch; fi
COPY . .
# The context may carry a checkout's own build/ binaries (for `prebuilt`): build afresh.
RUN rm -rf build \
    && AFFECT_CMAKE_ARGS="-DAFFECT_BUILD_TESTS=OFF -DAFFECT_BUILD_BENCHMARKS=OFF \
      $( [ -f /opt/libtorch/lib/libtorch.so ] && echo -DCMAKE_PREFIX_PATH=/opt/libtorch )" \
    AFFECT_BUILD_TYPE=Release scripts/build.sh affect-server affect-client \
    && strip build/server/affect-server build/client/cli/affect-client
# The models are fetched and converted here (the context's converted models, there for
# `prebuilt`, are removed first), from the npm registry over HTTPS. Behind a TLS-inspecting
# proxy, give the build the proxy's CA bundle: podman/buildah build
# -v HOST_CA.crt:/run/host-ca.crt:ro --build-arg EXTRA_CA_FILE=/run/host-ca.crt
# (tests/deploy/image_test.sh does so when the host's npm has a cafile).
ARG EXTRA_CA_FILE=""
RUN if [ -n "$EXTRA_CA_FILE" ]; then \
      export NPM_CONFIG_CAFILE="$EXTRA_CA_FILE" CURL_CA_BUNDLE="$EXTRA_CA_FILE" \
             NODE_EXTRA_CA_CERTS="$EXTRA_CA_FILE"; \
    fi \
    && rm -rf models/repository/*/[0-9]* \
    && scripts/prepare-models.sh \
    && find models/repository -name '*.pt' | sort

FROM runtime-base AS runtime
COPY --from=build /opt/libtorch /opt/libtorch
COPY --from=build /src/build/server/affect-server /src/build/client/cli/affect-client \
     /usr/local/bin/
COPY --from=build /src/models/repository /srv/affectserve/models/repository
