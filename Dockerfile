# The agent image: FROM scratch, holding only the static kubectl-imgdup.
#
# Build it with scripts/agent-image, which compiles the static binary on the
# host (scripts/build-static) and prepares the build context: nothing is
# compiled or downloaded inside the build. The tag it gets,
# ghcr.io/imgdup/kubectl-imgdup:<version>, is kubectl imgdup's default --image.
#
# The agent pod (shared/src/fanout/pod.rs) sets command [/kubectl-imgdup] and
# args [agent, --host-root, /host, --proc, /host/proc, --node-name, N,
# --timeout, T], which replace ENTRYPOINT and CMD. CMD is the same scan for a
# plain `docker run` with the node's /run, /var/lib, /etc and /proc mounted
# read-only under /host.
FROM scratch
ARG VERSION=0.0.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="kubectl-imgdup" \
      org.opencontainers.image.description="imgdup node agent: finds container images stored twice on a node (prints a NodeReport as JSON)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="https://github.com/imgdup/imgdup" \
      org.opencontainers.image.url="https://github.com/imgdup/imgdup" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY kubectl-imgdup /kubectl-imgdup
USER 0:0
ENTRYPOINT ["/kubectl-imgdup"]
CMD ["agent", "--host-root", "/host", "--proc", "/host/proc"]
