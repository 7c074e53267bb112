#!/bin/sh
# Writes through nginx need a user and password where NGINX_WRITE_USER is set: for an app
# published beyond this machine, whose API has no login of its own. The site's config
# (nginx.conf, rendered just before by the image's 20-envsubst-on-templates.sh) turns HTTP
# basic authentication on for every method but GET and HEAD under /api when the user is
# set; this script writes the password file it reads, conf.d/writers.htpasswd, in memory.
#   NGINX_WRITE_USER          the user name (letters, digits, . _ -)
#   NGINX_WRITE_PASSWORD      its password (no ':' or line break), or
#   NGINX_WRITE_PASSWORD_FILE a file holding it (a Docker or Kubernetes secret)
# Run by the nginx image's entrypoint, before nginx starts; a setting that cannot work
# stops the container with a message, rather than leave writes open.
set -eu

ME=$(basename "$0")
CONF_DIR=${NGINX_CONF_DIR:-/etc/nginx/conf.d}  # the tests' own elsewhere
USER_NAME=${NGINX_WRITE_USER:-}
PASSWORD=${NGINX_WRITE_PASSWORD:-}

fail() {
  echo "$ME: error: $*" >&2
  exit 1
}

if [ -n "${NGINX_WRITE_PASSWORD_FILE:-}" ]; then
  [ -r "$NGINX_WRITE_PASSWORD_FILE" ] || fail "NGINX_WRITE_PASSWORD_FILE=$NGINX_WRITE_PASSWORD_FILE cannot be read"
  PASSWORD=$(cat "$NGINX_WRITE_PASSWORD_FILE")
fi

if [ -z "$USER_NAME" ]; then
  [ -z "$PASSWORD" ] || fail "a write password is set but no NGINX_WRITE_USER (compose: WRITE_USER): writes would stay open"
  [ -n "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ] || echo "$ME: info: writes are open to whoever reaches nginx (no NGINX_WRITE_USER)"
  exit 0
fi
case "$USER_NAME" in
  *[!A-Za-z0-9._-]*) fail "NGINX_WRITE_USER may hold letters, digits, '.', '_' and '-' only" ;;
esac
[ -n "$PASSWORD" ] || fail "NGINX_WRITE_USER=$USER_NAME has no password (NGINX_WRITE_PASSWORD, compose: WRITE_PASSWORD)"
# The password file's own separators (nginx reads a password up to a ':' or line end).
case "$PASSWORD" in
  *:*|*"
"*) fail "the write password may hold any character but ':' and line breaks" ;;
esac

# {PLAIN}: nginx compares the password as it is (RFC 2307 syntax). It is in this
# container's environment or secret already; the file is in memory, readable by nginx alone.
umask 077
printf '%s:{PLAIN}%s\n' "$USER_NAME" "$PASSWORD" > "$CONF_DIR/writers.htpasswd"
[ -n "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ] || echo "$ME: info: writes need the password of user $USER_NAME"
