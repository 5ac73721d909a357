#!/usr/bin/env python3
"""The upstream docker-stacks start script, in short: JupyterLab on 0.0.0.0:8888 rooted at the home
folder; the token comes from JUPYTER_TOKEN, which Jupyter Server reads itself."""
import os
import sys

args = ["jupyter", "lab", "--ip=0.0.0.0", "--port=8888", "--no-browser", "--ServerApp.root_dir=/home/jovyan", *sys.argv[1:]]
os.execvp(args[0], args)
