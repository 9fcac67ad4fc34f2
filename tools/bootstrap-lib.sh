# Shared helpers of tools/run-tests.sh and tools/run-standalone.sh.
# Sourced, not run.

# Print the first Python interpreter that is 3.11 or newer.
find_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3 python3.13 python3.12 python3.11; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
            echo "$candidate"
            return 0
        fi
    done
    echo "error: Python 3.11 or newer is needed (set PYTHON=...)" >&2
    return 1
}

# make_venv DIR PACKAGE...: create DIR as a virtualenv (once) and install
# the packages into it.
make_venv() {
    local dir=$1
    shift
    if [ ! -x "$dir/bin/python" ]; then
        echo "==> creating $dir"
        "$(find_python)" -m venv "$dir"
        "$dir/bin/python" -m pip install -q --upgrade pip
    fi
    "$dir/bin/python" -m pip install -q "$@"
}
