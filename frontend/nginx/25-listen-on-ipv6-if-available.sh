#!/bin/sh
# Listen on IPv6 only where this host has it, decided when the container starts (compose,
# Swarm and Kubernetes alike). The site's config (nginx.conf, rendered into conf.d by the
# image's 20-envsubst-on-templates.sh just before) listens on IPv4 and IPv6. Where nginx
# cannot open an IPv6 socket (IPv6 disabled in the kernel, or refused by a seccomp
# profile), nginx would exit with "socket() [::]:80 failed (97: Address family not
# supported by protocol)": the `listen [::]:...` lines are removed instead, and nginx
# serves on IPv4.
#
# Run by the nginx image's entrypoint, which runs /docker-entrypoint.d/*.sh in order before
# nginx starts. The official image's own 10-listen-on-ipv6-by-default.sh does the opposite
# for its packaged default.conf only, and trusts /proc/net/if_inet6, which a seccomp
# profile leaves in place: here nginx itself is asked.
# Ref: https://github.com/nginxinc/docker-nginx-unprivileged (docker-entrypoint.d)
set -eu

ME=$(basename "$0")
CONF_DIR=/etc/nginx/conf.d

log() {
  [ -n "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ] || echo "$ME: $*"
}

sites=$(grep -l '^[[:space:]]*listen[[:space:]]\{1,\}\[::\]' "$CONF_DIR"/*.conf 2>/dev/null || true)
[ -n "$sites" ] || exit 0

# `nginx -t` opens the listening sockets of the config it tests: one with a single IPv6
# listener, on the port nginx will use, fails exactly where nginx would.
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
cat > "$probe/nginx.conf" <<PROBE
error_log stderr;
pid $probe/nginx.pid;
events {}
http {
    access_log off;
    client_body_temp_path $probe;
    proxy_temp_path $probe;
    fastcgi_temp_path $probe;
    uwsgi_temp_path $probe;
    scgi_temp_path $probe;
    server { listen [::]:${NGINX_PORT:-80}; }
}
PROBE

if nginx -q -t -e stderr -p "$probe/" -c "$probe/nginx.conf" 2> "$probe/error"; then
  log "info: IPv6 available: listening on IPv4 and IPv6"
  exit 0
fi
if ! grep -q '\[::\]' "$probe/error"; then
  # Not about the IPv6 socket: leave the config alone; nginx will say what is wrong.
  log "warning: could not tell whether IPv6 works: $(cat "$probe/error")"
  exit 0
fi

log "info: IPv6 not available here ($(grep '\[::\]' "$probe/error" | head -n 1 | sed 's/.*#[0-9]*: //')): listening on IPv4 only"
for site in $sites; do
  sed -i '/^[[:space:]]*listen[[:space:]]\{1,\}\[::\]/d' "$site"
done
