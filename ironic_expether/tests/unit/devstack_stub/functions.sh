# A stub of the devstack helpers that devstack/plugin.sh and
# devstack/settings call, for ironic_expether/tests/unit/test_devstack.py.
# Sourced, not run.
#
# Every helper appends one line to $STUB_LOG so that tests can check which
# commands would have run. iniset/iniget work on a real ini file. With
# STUB_EXEC_PROCESSES=1, run_process really starts the command in the
# background (pid file in $STUB_STATE_DIR) and stop_process stops it.
#
# Needs: STUB_LOG, STUB_STATE_DIR, STUB_PYTHON (a Python interpreter).

STUB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

function _stub_log {
    printf '%s\n' "$*" >> "$STUB_LOG"
}

function die {
    local line=$1
    shift
    _stub_log "die $*"
    echo "[ERROR] line $line: $*" >&2
    exit 1
}

function echo_summary {
    echo "$@"
}

function trueorfalse {
    local default=$1
    local testval=${!2:-}
    case "$testval" in
        1|[yY]es|YES|[tT]rue|TRUE) echo True ;;
        0|[nN]o|NO|[fF]alse|FALSE) echo False ;;
        *) echo "$default" ;;
    esac
}

function enable_service {
    local service
    for service in "$@"; do
        ENABLED_SERVICES+=",$service"
    done
}

function is_service_enabled {
    local service
    for service in "$@"; do
        if [[ ",$ENABLED_SERVICES," == *",$service,"* ]]; then
            return 0
        fi
    done
    return 1
}

function setup_develop {
    _stub_log "setup_develop $*"
}

function get_python_exec_prefix {
    echo "$STUB_BIN_DIR"
}

function iniset {
    _stub_log "iniset $1 [$2] $3 = $4"
    "$STUB_PYTHON" "$STUB_DIR/ini.py" set "$@"
}

function iniget {
    "$STUB_PYTHON" "$STUB_DIR/ini.py" get "$@"
}

function run_process {
    local name=$1
    local command=$2
    _stub_log "run_process $name $command"
    if [[ "${STUB_EXEC_PROCESSES:-0}" == "1" ]]; then
        # shellcheck disable=SC2086
        setsid $command > "$STUB_STATE_DIR/$name.log" 2>&1 &
        echo $! > "$STUB_STATE_DIR/$name.pid"
    fi
}

function stop_process {
    local name=$1
    local pidfile="$STUB_STATE_DIR/$name.pid"
    _stub_log "stop_process $name"
    if [[ -f "$pidfile" ]]; then
        kill "$(cat "$pidfile")" 2>/dev/null || true
        rm -f "$pidfile"
    fi
}

function wait_for_service {
    _stub_log "wait_for_service $1 $2"
    "$STUB_PYTHON" "$STUB_DIR/ini.py" wait "$2" "$1"
}

# The baremetal CLI: "node show NAME" succeeds for the names listed in
# $STUB_STATE_DIR/nodes; "node create ... --name NAME" adds NAME there.
function stub_baremetal {
    _stub_log "baremetal $*"
    local nodes="$STUB_STATE_DIR/nodes"
    touch "$nodes"
    if [[ "$1 $2" == "node show" ]]; then
        grep -qxF -- "$3" "$nodes"
        return
    fi
    if [[ "$1 $2" == "node create" ]]; then
        while [[ $# -gt 0 ]]; do
            if [[ "$1" == "--name" ]]; then
                echo "$2" >> "$nodes"
            fi
            shift
        done
    fi
}
