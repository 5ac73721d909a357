#!/bin/bash
# docker-stacks' run-hooks.sh contract (images/docker-stacks-foundation @ edaf65ba4ecf; see
# CONTRACT.md), for this stand-in: given one folder, source each *.sh in it and run each other
# executable file, in name order; a hook that fails is reported and the start goes on. Meant to be
# sourced by start.sh (so hooks can export variables), and runnable on its own.
if ! declare -F _log >/dev/null; then
  # Always succeeds: under `set -e` a quiet (JUPYTER_DOCKER_STACKS_QUIET) message must not end the start.
  _log() { if [[ "$*" == ERROR:* || "$*" == WARNING:* || -z "${JUPYTER_DOCKER_STACKS_QUIET}" ]]; then echo "$@" >&2; fi; }
fi

if [[ $# -ne 1 || ! -d "$1" ]]; then
  _log "ERROR: run-hooks.sh takes exactly one existing directory"
  return 1 2>/dev/null || exit 1
fi

_log "Running hooks in: $1 as uid: $(id -u) gid: $(id -g)"
for hook in "$1"/*; do
  [[ -e "$hook" ]] || continue
  if [[ "$hook" == *.sh ]]; then
    _log "Sourcing shell script: $hook"
    # shellcheck disable=SC1090
    source "$hook" || _log "ERROR: $hook has failed, continuing execution"
  elif [[ -x "$hook" ]]; then
    _log "Running executable: $hook"
    "$hook" || _log "ERROR: $hook has failed, continuing execution"
  else
    _log "Ignoring non-executable: $hook"
  fi
done
_log "Done running hooks in: $1"
