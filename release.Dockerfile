# syntax=docker/dockerfile:1
# The release images, from the release's own static binaries (context: dist/ holding
# nodion-deploy-amd64 and nodion-deploy-arm64). Same stages as Dockerfile, which builds from source.

FROM alpine:3.21 AS shell
ARG TARGETARCH
COPY nodion-deploy-${TARGETARCH} /usr/local/bin/nodion-deploy
LABEL org.opencontainers.image.title="nodion-deploy (shell)" \
      org.opencontainers.image.description="Deploy an application on Nodion from CI and gate the pipeline on the result" \
      org.opencontainers.image.licenses="MIT"

FROM scratch
ARG TARGETARCH
COPY nodion-deploy-${TARGETARCH} /nodion-deploy
LABEL org.opencontainers.image.title="nodion-deploy" \
      org.opencontainers.image.description="Deploy an application on Nodion from CI and gate the pipeline on the result" \
      org.opencontainers.image.licenses="MIT"
ENTRYPOINT ["/nodion-deploy"]
