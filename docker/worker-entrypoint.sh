#!/bin/sh
# PID 1 of the worker container. Agents run as the worker's user and can read any same-user process's
# initial environment from /proc/<pid>/environ, and PID 1 (tini) would be started with the
# container's, worker key included. So the key moves into a private file the worker reads and deletes
# at start, and tini is exec'd with an environment that no longer holds it.
set -eu
if [ -n "${ORCH_API_KEY:-}" ]; then
  umask 077
  dir=$(mktemp -d)
  printf '%s' "$ORCH_API_KEY" > "$dir/api-key"
  unset ORCH_API_KEY
  export ORCH_API_KEY_FILE="$dir/api-key"
fi
exec tini -- "$@"
