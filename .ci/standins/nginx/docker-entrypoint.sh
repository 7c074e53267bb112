#!/bin/sh
# Stand-in for the nginx image's entrypoint: run /docker-entrypoint.d/*.sh, then the command.
set -e
for script in /docker-entrypoint.d/*.sh; do [ -x "$script" ] && "$script"; done
exec "$@"
