# Stand-in for the monitoring images (prom/prometheus, prom/alertmanager, prom/node-exporter,
# the nginx and postgres exporters), for test machines where no registry answers: one
# Debian package each, its program as the entrypoint, user nobody (65534) as in the real
# ones, and wget for the health checks as their busybox has.
#   docker build --build-arg PACKAGE=prometheus=2.42.* --build-arg PROGRAM=prometheus ...
ARG BASE=tasks-standin/debian:bookworm
FROM ${BASE}
ARG PACKAGE
ARG PROGRAM
# PACKAGE carries its own version pin (name=version).
# hadolint ignore=DL3008
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      "${PACKAGE}" wget=1.21.* \
 && rm -rf /var/lib/apt/lists/* \
 && ln -s "/usr/bin/${PROGRAM}" /usr/local/bin/standin-entrypoint \
 && mkdir -p /prometheus /alertmanager \
 && chown 65534:65534 /prometheus /alertmanager
USER 65534
ENTRYPOINT ["/usr/local/bin/standin-entrypoint"]
