#!/usr/bin/env bash
# A one-node SLURM cluster with a fake GPU, for the workflow's cluster test (tests/test_slurm.py)
# and for trying the cluster profile by hand. Needs root and Debian's packages
# `slurmctld slurmd slurm-client munge` (`tests/slurm/cluster.sh install` installs them).
#
#   tests/slurm/cluster.sh install   # apt-get install the four packages (root, Debian)
#   tests/slurm/cluster.sh start     # write /etc/slurm/*.conf, start munged, slurmctld, slurmd
#   tests/slurm/cluster.sh status    # daemons, sinfo
#   tests/slurm/cluster.sh stop      # stop what `start` started, remove what it wrote
#
# Idempotent: `start` on a running cluster only checks it; `stop` on a stopped one does
# nothing. Only daemons whose pid files this script wrote are stopped (by pid), so a site's
# own munged is left alone. No systemd is needed (CI has none).
#
# Environment: IMBENCH_SLURM_STATE (state, spool, logs; default /tmp/imbench-slurm),
# IMBENCH_SLURM_CPUS (16), IMBENCH_SLURM_MEM_MB (64000): the shape the node claims; it must fit
# the cluster profile's largest request (cpus_per_gpu, mem_mb of a GPU job at attempt 1).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE="${IMBENCH_SLURM_STATE:-/tmp/imbench-slurm}"
CPUS="${IMBENCH_SLURM_CPUS:-16}"
MEM="${IMBENCH_SLURM_MEM_MB:-64000}"
CONF_DIR=/etc/slurm
MARK="# imbench test cluster"
MUNGE_RUN=/run/munge
NODE="$(hostname -s)"

log() { echo "cluster.sh: $*" >&2; }
die() { log "$*"; exit 1; }

need_root() { [[ $(id -u) -eq 0 ]] || die "needs root (it writes /etc/slurm and starts daemons)"; }

have_binaries() {
    command -v slurmctld >/dev/null && command -v slurmd >/dev/null \
        && command -v sbatch >/dev/null && command -v munged >/dev/null
}

# pid from a pid file, if that process is still alive
alive_pid() {
    local f=$1 pid
    [[ -s $f ]] || return 1
    pid=$(<"$f")
    [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

ours() { [[ -f $1 ]] && head -n1 "$1" | grep -qF "$MARK"; }

cmd_install() {
    need_root
    if have_binaries; then log "SLURM and munge already installed"; return 0; fi
    command -v apt-get >/dev/null || die "no apt-get: install slurmctld slurmd slurm-client munge yourself"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
    have_binaries || die "packages installed but binaries missing"
}

write_conf() {
    local name=$1 src=$2
    local dst="$CONF_DIR/$name"
    if [[ -e $dst ]] && ! ours "$dst"; then
        die "$dst exists and was not written by this script: refusing to replace a real cluster's config"
    fi
    sed -e "s|@NODE@|$NODE|g" -e "s|@STATE@|$STATE|g" -e "s|@CPUS@|$CPUS|g" \
        -e "s|@MEM@|$MEM|g" -e "s|@CTLD_PORT@|${IMBENCH_SLURM_CTLD_PORT:-6817}|g" \
        -e "s|@D_PORT@|${IMBENCH_SLURM_D_PORT:-6818}|g" "$src" >"$dst.tmp"
    mv "$dst.tmp" "$dst"
}

start_munge() {
    if pgrep -x munged >/dev/null 2>&1 && munge -n </dev/null >/dev/null 2>&1; then
        return 0  # a working munged (ours from an earlier start, or the site's)
    fi
    mkdir -p "$MUNGE_RUN" /var/log/munge /var/lib/munge
    chown munge:munge "$MUNGE_RUN" /var/log/munge /var/lib/munge
    chmod 0755 "$MUNGE_RUN"
    if [[ ! -s /etc/munge/munge.key ]]; then
        dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
        chown munge:munge /etc/munge/munge.key
        chmod 0400 /etc/munge/munge.key
    fi
    runuser -u munge -- /usr/sbin/munged --pid-file="$MUNGE_RUN/munged.pid"
    cp "$MUNGE_RUN/munged.pid" "$STATE/munged.pid"  # marks it as ours
    local i
    for i in $(seq 50); do munge -n </dev/null >/dev/null 2>&1 && return 0; sleep 0.1; done
    die "munged did not come up"
}

wait_node_ready() {
    local i state
    for i in $(seq 120); do
        state=$(sinfo -h -N -n "$NODE" -o %t 2>/dev/null | head -n1 || true)
        case $state in
            idle|mix|alloc) return 0 ;;
            drain*|down*) scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1 || true ;;
        esac
        sleep 0.5
    done
    log "node $NODE never became idle (state '$state'); slurmctld log:"
    tail -n 20 "$STATE/slurmctld.log" >&2 || true
    tail -n 20 "$STATE/slurmd.log" >&2 || true
    return 1
}

cmd_start() {
    need_root
    have_binaries || die "SLURM not installed (run: $0 install)"
    mkdir -p "$STATE/ctld" "$STATE/d" "$CONF_DIR"
    write_conf slurm.conf "$HERE/slurm.conf.in"
    write_conf gres.conf "$HERE/gres.conf.in"
    start_munge
    if ! alive_pid "$STATE/slurmctld.pid" >/dev/null; then
        # -c: start clean (no jobs or node state from an earlier cluster)
        slurmctld -c -f "$CONF_DIR/slurm.conf"
    fi
    local i
    for i in $(seq 100); do scontrol ping 2>/dev/null | grep -q UP && break; sleep 0.1; done
    if ! alive_pid "$STATE/slurmd.pid" >/dev/null; then
        slurmd -f "$CONF_DIR/slurm.conf" -N "$NODE"
    fi
    wait_node_ready
    log "up: node $NODE ($CPUS CPUs, $MEM MB, gpu:1), partitions debug (default, unused), batch (CPU) and gpu; state in $STATE"
}

stop_pid() {
    local name=$1 file=$2 pid i
    pid=$(alive_pid "$file") || { rm -f "$file"; return 0; }
    kill "$pid" 2>/dev/null || true
    for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        log "$name ($pid) ignored SIGTERM; killing"
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$file"
}

# pids of processes started by this cluster's jobs (their environment names the cluster)
job_pids() {
    local env pid
    for env in /proc/[0-9]*/environ; do
        pid=${env#/proc/}; pid=${pid%/environ}
        [[ $pid == "$$" ]] && continue
        grep -qxza "SLURM_CLUSTER_NAME=imbench" "$env" 2>/dev/null && echo "$pid"
    done
    return 0
}

cmd_stop() {
    need_root
    if alive_pid "$STATE/slurmctld.pid" >/dev/null; then
        # jobs still running would outlive slurmd as orphans
        scancel --full --quiet --user=root 2>/dev/null || true
        sleep 1
    fi
    # Without cgroups nothing contains a job: kill what a job left behind, by pid.
    local pids
    pids=$(job_pids)
    if [[ -n $pids ]]; then
        log "killing leftover job processes: $(echo $pids)"
        kill $pids 2>/dev/null || true
        sleep 1
        pids=$(job_pids)
        [[ -z $pids ]] || kill -9 $pids 2>/dev/null || true
    fi
    stop_pid slurmd "$STATE/slurmd.pid"
    stop_pid slurmctld "$STATE/slurmctld.pid"
    stop_pid munged "$STATE/munged.pid"
    local f
    for f in slurm.conf gres.conf; do
        if ours "$CONF_DIR/$f"; then rm -f "$CONF_DIR/$f"; fi
    done
    log "stopped"
}

cmd_status() {
    local name pids
    for name in munged slurmctld slurmd; do
        if pid=$(alive_pid "$STATE/$name.pid"); then echo "$name: running ($pid)"
        else echo "$name: not running (or not started by this script)"; fi
    done
    pids=$(job_pids)
    echo "job processes: ${pids:-none}" | tr '\n' ' '; echo
    sinfo 2>/dev/null || true
}

case "${1:-}" in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
