#!/bin/bash
# Kept for old command lines, as upstream keeps it: says so and runs start-notebook.py.
echo "WARNING: Use start-notebook.py instead"
exec /usr/local/bin/start-notebook.py "$@"
