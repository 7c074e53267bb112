# Stand-in for the registry image (the CNCF distribution registry), for test machines where
# no registry answers: Debian's docker-registry package, with the real image's interface
# (port 5000, no authentication, layers in /var/lib/registry). The multi-node Swarm test
# (e2e/swarm_nodes.py) pushes the app's images to it, and its nodes pull from it.
ARG BASE=tasks-standin/debian:bookworm
FROM ${BASE}
# Its user made first, with a fixed uid (the package would pick any free one).
RUN groupadd --system --gid 102 docker-registry \
 && useradd --system --uid 102 --gid docker-registry --no-create-home \
      --home-dir /var/lib/docker-registry docker-registry \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      docker-registry=2.8.* \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/registry \
 && chown 102:102 /var/lib/registry
# The real image's configuration, in place of Debian's (which asks for a password file).
COPY registry/config.yml /etc/docker/registry/config.yml
VOLUME /var/lib/registry
EXPOSE 5000
USER 102
ENTRYPOINT ["docker-registry"]
CMD ["serve", "/etc/docker/registry/config.yml"]
