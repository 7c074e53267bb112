# Stand-in for nginxinc/nginx-unprivileged, for test machines where no registry answers:
# Debian's nginx with the same interface (user 101, port 8080, /tmp for its files, the
# entrypoint that renders /etc/nginx/templates/*.template with envsubst).
ARG BASE=tasks-standin/debian:bookworm
FROM ${BASE}
RUN groupadd --system --gid 101 nginx \
 && useradd --system --uid 101 --gid nginx --no-create-home --home /nonexistent nginx \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      nginx-light=1.22.* gettext-base=0.21-* wget=1.21.* \
 && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled /etc/nginx/conf.d/* \
 && ln -sf /dev/stdout /var/log/nginx/access.log && ln -sf /dev/stderr /var/log/nginx/error.log \
 && mkdir -p /usr/share/nginx/html /etc/nginx/templates /docker-entrypoint.d \
 && echo '<h1>nginx stand-in</h1>' > /usr/share/nginx/html/index.html \
 && chown -R nginx:nginx /etc/nginx/conf.d /usr/share/nginx/html
COPY nginx/nginx.conf /etc/nginx/nginx.conf
# Owned by nginx, as in the real image: the entrypoint renders the template over it.
COPY --chown=101:101 nginx/default.conf /etc/nginx/conf.d/default.conf
COPY nginx/docker-entrypoint.sh /docker-entrypoint.sh
COPY nginx/20-envsubst-on-templates.sh /docker-entrypoint.d/
EXPOSE 8080
STOPSIGNAL SIGQUIT
USER 101
ENTRYPOINT ["/docker-entrypoint.sh"]
CMD ["nginx", "-g", "daemon off;"]
