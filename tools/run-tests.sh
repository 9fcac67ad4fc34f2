#!/usr/bin/env bash
# Run the whole test suite: style, unit, functional (real processes),
# documentation, release notes, the sample configuration and a quick
# benchmark.
#
# Needs only Python 3.11+ and git; tox is installed into .bootstrap/ when
# it is missing. Extra arguments go to tox (for example -e py3).
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/bootstrap-lib.sh

if [ ! -x .bootstrap/bin/tox ]; then
    make_venv .bootstrap 'tox>=4.0.0'
fi
if [ $# -gt 0 ]; then
    exec .bootstrap/bin/tox "$@"
fi
.bootstrap/bin/tox -e pep8,py3,functional,docs,releasenotes,genconfig
# The benchmark at a small size: its targets (zero database writes and
# under one second of CPU in a steady discovery cycle) still hold there.
# The full size is `tox -e bench`.
.bootstrap/bin/tox -e bench -- --quick
