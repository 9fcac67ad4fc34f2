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

# clear_venv_redirect DIR: make room for the virtualenv DIR when a PEP 832
# redirect file stands there instead. tox releases that write one (before
# tox.ini told them not to) point it at an environment under .tox/; such a
# file is removed. Any other file is the user's: stop and say so.
clear_venv_redirect() {
    local dir=$1 target
    [ -f "$dir" ] && [ ! -L "$dir" ] || return 0
    target=$(head -n 1 "$dir")
    case "$target" in
        .tox/*)
            echo "==> removing $dir, tox's redirect to $target"
            rm -f "$dir"
            ;;
        *)
            echo "error: $dir is a file (pointing at '$target'), not a" \
                "virtualenv; move it away and run this again" >&2
            return 1
            ;;
    esac
}
