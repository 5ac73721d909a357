#!/usr/bin/env python
"""docker-stacks' start-notebook.py contract (images/base-notebook @ edaf65ba4ecf; see CONTRACT.md),
for this stand-in: run `jupyter ${DOCKER_STACKS_JUPYTER_CMD:-lab}`, then NOTEBOOK_ARGS split as a
shell would, then this script's own arguments. (Upstream hands over to start-singleuser.py under
JupyterHub and wraps the command in run-one-constantly with RESTARTABLE=yes; neither is here.)"""
import os
import shlex
import sys

argv = ["jupyter", os.environ.get("DOCKER_STACKS_JUPYTER_CMD", "lab")]
argv += shlex.split(os.environ.get("NOTEBOOK_ARGS", ""))
argv += sys.argv[1:]
print("Executing: " + " ".join(argv), flush=True)
os.execvp(argv[0], argv)
