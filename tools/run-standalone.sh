#!/usr/bin/env bash
# Start the standalone stack: EEM emulator, fake Redfish BMCs, Ironic with
# the expether hardware type, the Valence-compatible API. Ctrl-C stops it.
#
# Needs only Python 3.11+ and git; everything else is installed into
# .venv/ on the first run. Arguments go to ironic-expether-standalone
# (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/bootstrap-lib.sh

clear_venv_redirect .venv
if [ ! -x .venv/bin/ironic-expether-standalone ] || \
        [ setup.cfg -nt .venv/bin/ironic-expether-standalone ] || \
        [ requirements.txt -nt .venv/bin/ironic-expether-standalone ]; then
    echo "==> installing ironic-expether and its requirements into .venv" \
        "(the first time takes a few minutes)"
    started=$SECONDS
    make_venv .venv -e .
    echo "==> installed in $((SECONDS - started)) s"
fi
export PATH="$PWD/.venv/bin:$PATH"
exec ironic-expether-standalone "$@"
