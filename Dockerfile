# syntax=docker/dockerfile:1
# nodion-deploy built from source: a static musl binary in a `scratch` image (`docker://` steps and
# `docker run`) and in a small `shell` image (GitLab jobs run their script with /bin/sh).
# Releases push the same two images from the release binaries instead (release.Dockerfile); the
# GitHub Action runs the release binary itself and builds no image.

FROM rust:1-alpine AS build
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY fake-nodion/Cargo.toml ./fake-nodion/Cargo.toml
COPY fake-nodion/src ./fake-nodion/src
# Fully static: the image has no libc, and the bundled web PKI roots need no CA files.
ENV RUSTFLAGS="-C target-feature=+crt-static"
RUN cargo build --release --locked --bin nodion-deploy \
    && cp target/release/nodion-deploy /nodion-deploy

# For GitLab CI (`image:` needs a shell): `docker build --target shell`.
FROM alpine:3.21 AS shell
COPY --from=build /nodion-deploy /usr/local/bin/nodion-deploy
LABEL org.opencontainers.image.title="nodion-deploy (shell)" \
      org.opencontainers.image.description="Deploy an application on Nodion from CI and gate the pipeline on the result" \
      org.opencontainers.image.licenses="MIT"

# The default: just the binary. No USER or WORKDIR: GitHub runs `docker://` steps as root in its
# own working directory.
FROM scratch
COPY --from=build /nodion-deploy /nodion-deploy
LABEL org.opencontainers.image.title="nodion-deploy" \
      org.opencontainers.image.description="Deploy an application on Nodion from CI and gate the pipeline on the result" \
      org.opencontainers.image.licenses="MIT"
ENTRYPOINT ["/nodion-deploy"]
