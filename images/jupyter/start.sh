#!/bin/bash
# docker-stacks' start.sh contract (images/docker-stacks-foundation @ edaf65ba4ecf; see
# CONTRACT.md), for this stand-in, as the image's entrypoint (under `tini -g`):
#  - the command is the arguments, or $SHELL without any; NB_UMASK sets the umask;
#  - the hooks of /usr/local/bin/start-notebook.d run first, those of before-notebook.d last
#    (Spark's spark-config.sh there exports PYTHONPATH for the server and its kernels);
#  - started as root: jovyan takes NB_USER's name, NB_UID and NB_GID, its home is chowned when
#    CHOWN_HOME=yes (and CHOWN_EXTRA's paths), GRANT_SUDO=yes gives it sudo, and the command runs as
#    it through `sudo --preserve-env --set-home` with PATH and PYTHONPATH kept;
#  - started as another user: a uid /etc/passwd does not know gets jovyan's entry under its own
#    uid (the file is group-writable for that), and the command runs as it is.
set -e

# Always succeeds: under `set -e` a quiet (JUPYTER_DOCKER_STACKS_QUIET) message must not end the start.
_log() { if [[ "$*" == ERROR:* || "$*" == WARNING:* || -z "${JUPYTER_DOCKER_STACKS_QUIET}" ]]; then echo "$@" >&2; fi; }

if [[ $# -gt 0 ]]; then cmd=("$@"); else cmd=("$SHELL"); fi
[[ -n "$NB_UMASK" ]] && umask "$NB_UMASK"

source /usr/local/bin/run-hooks.sh /usr/local/bin/start-notebook.d

if [[ "$(id -u)" == 0 ]]; then
  if [[ "$NB_USER" != jovyan ]] && id jovyan &>/dev/null; then
    _log "Renaming user jovyan to $NB_USER"
    usermod --home "/home/$NB_USER" --login "$NB_USER" jovyan
    [[ -e "/home/$NB_USER" ]] || mv /home/jovyan "/home/$NB_USER"
  fi
  if [[ "$NB_UID" != "$(id -u "$NB_USER")" || "$NB_GID" != "$(id -g "$NB_USER")" ]]; then
    _log "Giving $NB_USER uid $NB_UID and gid $NB_GID"
    getent group "$NB_GID" >/dev/null || groupadd --force --gid "$NB_GID" --non-unique "${NB_GROUP:-$NB_USER}"
    usermod --non-unique --uid "$NB_UID" --gid "$NB_GID" "$NB_USER"
  fi
  if [[ "$CHOWN_HOME" == 1 || "$CHOWN_HOME" == yes ]]; then
    # shellcheck disable=SC2086
    chown $CHOWN_HOME_OPTS "$NB_UID:$NB_GID" "/home/$NB_USER"
  fi
  for path in ${CHOWN_EXTRA//,/ }; do
    # shellcheck disable=SC2086
    chown $CHOWN_EXTRA_OPTS "$NB_UID:$NB_GID" "$path"
  done
  if [[ "$GRANT_SUDO" == 1 || "$GRANT_SUDO" == yes ]]; then
    echo "$NB_USER ALL=(ALL) NOPASSWD:ALL" >/etc/sudoers.d/added-by-start-script
  fi
  source /usr/local/bin/run-hooks.sh /usr/local/bin/before-notebook.d
  _log "Running as $NB_USER: ${cmd[*]}"
  exec sudo --preserve-env --set-home --user "$NB_USER" \
    LD_LIBRARY_PATH="$LD_LIBRARY_PATH" PATH="$PATH" PYTHONPATH="${PYTHONPATH:-}" "${cmd[@]}"
fi

if ! getent passwd "$(id -u)" >/dev/null; then
  if [[ -w /etc/passwd ]]; then
    _log "Adding an entry for uid $(id -u) to /etc/passwd"
    sed "s/^jovyan:x:1000:/${NB_USER}:x:$(id -u):/" /etc/passwd >/tmp/passwd.start
    grep -q "^${NB_USER}:x:$(id -u):" /tmp/passwd.start || echo "${NB_USER}:x:$(id -u):$(id -g):,,,:/home/jovyan:/bin/bash" >>/tmp/passwd.start
    cat /tmp/passwd.start >/etc/passwd
    rm -f /tmp/passwd.start
  else
    _log "WARNING: uid $(id -u) has no /etc/passwd entry and the file is not writable"
  fi
fi
[[ "$NB_UID" != "$(id -u)" ]] && _log "WARNING: container must be started as root to change the desired user's id with NB_UID"
[[ "$NB_GID" != "$(id -g)" ]] && _log "WARNING: container must be started as root to change the desired user's group id with NB_GID"

source /usr/local/bin/run-hooks.sh /usr/local/bin/before-notebook.d
_log "Executing the command: ${cmd[*]}"
exec "${cmd[@]}"
