#!/bin/bash
# devstack plugin of ironic-expether: the "expether" hardware type for NEC
# ExpEther composable hardware.
#
# Enable it after Ironic's in local.conf:
#
#   enable_plugin ironic https://opendev.org/openstack/ironic
#   enable_plugin ironic-expether https://opendev.org/x/ironic-expether
#
# Phases:
#   stack install      install the package (setup_develop)
#   stack post-config  enable expether in ironic.conf, migrate the pool tables
#   stack extra        start the EEM emulator (EXPETHER_USE_EMULATOR=True)
#                      and enroll the EEM's servers (EXPETHER_ENROLL_NODES)
#   unstack            stop the emulator
#   clean              remove the plugin's data directory

# Keep credentials out of the trace.
_XTRACE_EXPETHER=$(set +o | grep xtrace)
set +o xtrace

EXPETHER_PLUGIN_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Vendor interfaces Ironic enables when enabled_vendor_interfaces is unset.
EXPETHER_IRONIC_DEFAULT_VENDOR_INTERFACES="ipmitool,redfish,no-vendor"

# expether_bin_dir: the directory holding the package's console scripts.
function expether_bin_dir {
    if [[ -n "${EXPETHER_BIN_DIR:-}" ]]; then
        echo "$EXPETHER_BIN_DIR"
    else
        get_python_exec_prefix
    fi
}

# expether_list_append LIST ITEM: print the comma-separated LIST with ITEM
# appended, unless it is there already.
function expether_list_append {
    local list=$1
    local item=$2
    if [[ -z "$list" ]]; then
        echo "$item"
    elif [[ ",$list," == *",$item,"* ]]; then
        echo "$list"
    else
        echo "$list,$item"
    fi
}

# expether_eem_address: the EEM the nodes talk to (the emulator by default
# when it is enabled).
function expether_eem_address {
    if [[ -n "$EXPETHER_EEM_ADDRESS" ]]; then
        echo "$EXPETHER_EEM_ADDRESS"
    elif [[ "$EXPETHER_USE_EMULATOR" == "True" ]]; then
        echo "http://$EXPETHER_EMULATOR_HOST:$EXPETHER_EMULATOR_PORT/eem"
    fi
}

function install_expether {
    setup_develop "$EXPETHER_DIR"
}

# expether_enable_in_ironic OPTION VARIABLE [DEFAULT]: add expether to the
# [DEFAULT] OPTION of ironic.conf, keeping what is there. When the option
# is unset, start from $VARIABLE (Ironic's devstack setting), then from
# DEFAULT (Ironic's own default). When all three are empty, leave the
# option unset: Ironic then enables the first supported interface of every
# enabled hardware type, expether's included.
function expether_enable_in_ironic {
    local option=$1
    local variable=$2
    local default=${3:-}
    local current
    current=$(iniget "$IRONIC_CONF_FILE" DEFAULT "$option")
    if [[ -z "$current" ]]; then
        current=${!variable:-$default}
    fi
    if [[ -z "$current" ]]; then
        return 0
    fi
    current=$(expether_list_append "$current" expether)
    iniset "$IRONIC_CONF_FILE" DEFAULT "$option" "$current"
    printf -v "$variable" '%s' "$current"
}

function configure_expether {
    expether_enable_in_ironic enabled_hardware_types \
        IRONIC_ENABLED_HARDWARE_TYPES
    expether_enable_in_ironic enabled_power_interfaces \
        IRONIC_ENABLED_POWER_INTERFACES
    expether_enable_in_ironic enabled_management_interfaces \
        IRONIC_ENABLED_MANAGEMENT_INTERFACES
    expether_enable_in_ironic enabled_vendor_interfaces \
        IRONIC_ENABLED_VENDOR_INTERFACES \
        "$EXPETHER_IRONIC_DEFAULT_VENDOR_INTERFACES"

    iniset "$IRONIC_CONF_FILE" expether verify_ca "$EXPETHER_EEM_VERIFY_CA"
    if [[ -n "$EXPETHER_DISCOVERY_INTERVAL" ]]; then
        iniset "$IRONIC_CONF_FILE" expether discovery_interval \
            "$EXPETHER_DISCOVERY_INTERVAL"
    fi
    if [[ -n "$EXPETHER_AUTO_ENROLL" ]]; then
        iniset "$IRONIC_CONF_FILE" expether auto_enroll "$EXPETHER_AUTO_ENROLL"
    fi
    mkdir -p "$EXPETHER_DATA_DIR"
}

# init_expether: create or upgrade the device pool's tables (in Ironic's
# database unless [expether] database_connection says otherwise).
function init_expether {
    "$(expether_bin_dir)/ironic-expether-dbsync" \
        --config-file "$IRONIC_CONF_FILE" upgrade \
        || die $LINENO "ironic-expether-dbsync upgrade failed"
}

function start_expether_emulator {
    local cmd
    cmd="$(expether_bin_dir)/eem-emulator"
    cmd+=" --host $EXPETHER_EMULATOR_HOST --port $EXPETHER_EMULATOR_PORT"
    cmd+=" --servers $EXPETHER_EMULATOR_SERVERS"
    cmd+=" --devices $EXPETHER_EMULATOR_DEVICES"
    if [[ -n "$EXPETHER_EEM_USERNAME" ]]; then
        cmd+=" --username $EXPETHER_EEM_USERNAME"
        cmd+=" --password $EXPETHER_EEM_PASSWORD"
    fi
    run_process eem-emulator "$cmd"
    if ! wait_for_service "${SERVICE_TIMEOUT:-60}" \
            "http://$EXPETHER_EMULATOR_HOST:$EXPETHER_EMULATOR_PORT/eem/api_version"; then
        die $LINENO "the EEM emulator did not start"
    fi
}

function stop_expether_emulator {
    stop_process eem-emulator
}

# expether_list_servers: print the EE id of every server engine (EESV) the
# EEM reports, one a line. The password travels through the environment,
# never on a command line.
function expether_list_servers {
    EXPETHER_EEM=$(expether_eem_address) \
    EXPETHER_EEM_USERNAME=$EXPETHER_EEM_USERNAME \
    EXPETHER_EEM_PASSWORD=$EXPETHER_EEM_PASSWORD \
    EXPETHER_EEM_VERIFY_CA=$EXPETHER_EEM_VERIFY_CA \
    "${PYTHON:-python3}" "$EXPETHER_PLUGIN_DIR/tools/list-servers.py"
}

# enroll_expether_nodes: enroll every server of the EEM as an Ironic node
# with the expether driver, once (a node of the same name is left alone).
function enroll_expether_nodes {
    local address servers eesv name
    address=$(expether_eem_address)
    if [[ -z "$address" ]]; then
        die $LINENO "EXPETHER_ENROLL_NODES needs EXPETHER_EEM_ADDRESS or" \
            "EXPETHER_USE_EMULATOR=True"
    fi
    servers=$(expether_list_servers) \
        || die $LINENO "cannot list the server engines of $address"
    for eesv in $servers; do
        name="${EXPETHER_NODE_NAME_PREFIX}${eesv#0x}"
        if $EXPETHER_BAREMETAL_CMD node show "$name" >/dev/null 2>&1; then
            echo "Node $name is enrolled already"
            continue
        fi
        local args=(--driver expether --name "$name"
            --driver-info "eem_address=$address"
            --driver-info "eesv_id=$eesv"
            --driver-info "eem_verify_ca=$EXPETHER_EEM_VERIFY_CA")
        if [[ -n "$EXPETHER_EEM_USERNAME" ]]; then
            args+=(--driver-info "eem_username=$EXPETHER_EEM_USERNAME"
                --driver-info "eem_password=$EXPETHER_EEM_PASSWORD")
        fi
        $EXPETHER_BAREMETAL_CMD node create "${args[@]}" >/dev/null \
            || die $LINENO "cannot enroll $name"
        echo "Enrolled node $name (EESV $eesv)"
    done
}

function cleanup_expether {
    rm -rf "$EXPETHER_DATA_DIR"
}

if is_service_enabled ir-api ir-cond; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing ironic-expether"
        install_expether
    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        echo_summary "Enabling the expether hardware type in Ironic"
        configure_expether
        init_expether
    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        if is_service_enabled eem-emulator; then
            echo_summary "Starting the EEM emulator"
            start_expether_emulator
        fi
        if [[ "$EXPETHER_ENROLL_NODES" == "True" ]]; then
            echo_summary "Enrolling ExpEther servers in Ironic"
            enroll_expether_nodes
        fi
    fi

    if [[ "$1" == "unstack" ]]; then
        if is_service_enabled eem-emulator; then
            stop_expether_emulator
        fi
    fi

    if [[ "$1" == "clean" ]]; then
        cleanup_expether
    fi
fi

$_XTRACE_EXPETHER

# Local variables:
# mode: shell-script
# End:
