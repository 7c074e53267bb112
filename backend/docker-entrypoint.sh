#!/bin/sh
# The backend image's entrypoint: it runs the image's command (uvicorn), as PID 1 unless
# STOP_PAUSE_SECONDS is set.
#
# STOP_PAUSE_SECONDS (whole seconds, default 0): on SIGTERM, keep serving that long, then
# pass the SIGTERM on (uvicorn then finishes the requests in flight and exits). Docker
# Swarm needs it (deploy/swarm/stack.yml sets it): Swarm takes a stopping replica out of
# DNS 2 s before its SIGTERM (moby's defaultGossipConvergeDelay), but the other nodes
# learn that by gossip, later on a busy cluster, and nginx keeps an answer 1 s more. A
# POST that reaches a replica as it closes its socket fails: nginx cannot pass a POST it
# has sent on to another replica. Kubernetes has a hook for this pause (preStop, in
# deploy/k8s); Swarm has none.
set -eu

pause="${STOP_PAUSE_SECONDS:-0}"
case "$pause" in
  '' | *[!0-9]*)
    echo "STOP_PAUSE_SECONDS must be a whole number of seconds, not '$pause'" >&2
    exit 2
    ;;
esac
if [ "$pause" -eq 0 ]; then
  exec "$@"
fi

"$@" &
pid=$!
trap 'sleep "$pause"; kill -TERM "$pid"' TERM
status=0
wait "$pid" || status=$?
# A SIGTERM interrupts the wait: the command is still stopping, wait for its own end.
if kill -0 "$pid" 2>/dev/null; then
  status=0
  wait "$pid" || status=$?
fi
exit "$status"
