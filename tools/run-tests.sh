#!/usr/bin/env bash
# Run the whole test suite: style, unit, functional (real processes),
# documentation, release notes and the sample configuration.
#
# Needs only Python 3.11+ and git; tox is installed into .bootstrap/ when
# it is missing. Extra arguments go to tox (for example -e py3).
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/bootstrap-lib.sh

if [ ! -x .bootstrap/bin/tox ]; then
    make_venv .bootstrap 'tox>=4.0.0'
fi
if [ $# -eq 0 ]; then
    set -- -e pep8,py3,functional,docs,releasenotes,genconfig
fi
exec .bootstrap/bin/tox "$@"
