#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, for the scale-out test (and for trying `quern slurm`
# by hand). Everything it writes lives in DIR; the daemons listen on private ports.
#
#   .ci/slurm-cluster.sh start DIR   install slurm-wlm and munge if missing, start munged,
#                                    slurmctld and slurmd, wait until the node is idle,
#                                    print `export SLURM_CONF=DIR/slurm.conf`
#   .ci/slurm-cluster.sh stop DIR    stop the daemons this script started (munged only if it
#                                    started it)
#
# Settings that matter on these machines (containers without systemd or cgroup delegation):
# proctrack/linuxproc and task/none (the cgroup plugins fail and drain the node), munged started
# as the munge user after creating /run/munge, DependencyParameters=kill_invalid_depend (a merge
# job whose array failed is cancelled instead of waiting forever), no accounting daemon (job
# states come from `scontrol show job`).
set -euo pipefail

cmd=${1:?usage: $0 start|stop DIR}
dir=${2:?usage: $0 start|stop DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
conf="$dir/slurm.conf"
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)

log() { echo "slurm-cluster: $*" >&2; }

stop_slurm() {
  for name in slurmd slurmctld; do
    if [ -f "$dir/$name.pid" ]; then
      pid=$(cat "$dir/$name.pid")
      $SUDO kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      $SUDO kill -9 "$pid" 2>/dev/null || true
      rm -f "$dir/$name.pid"
    fi
  done
}

stop() {
  stop_slurm
  if [ -f "$dir/munged.started" ]; then
    [ -f /run/munge/munged.pid ] && $SUDO kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true
    rm -f "$dir/munged.started"
  fi
}

if [ "$cmd" = stop ]; then stop; exit 0; fi
[ "$cmd" = start ] || { echo "usage: $0 start|stop DIR" >&2; exit 64; }

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  log "installing slurm-wlm and munge from Debian"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi

# munge: one per machine; reuse a working one (a check by pid would count a zombie left in a
# container whose PID 1 does not reap).
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  [ -s /etc/munge/munge.key ] || $SUDO /usr/sbin/mungekey --create --keyfile=/etc/munge/munge.key 2>/dev/null \
    || $SUDO sh -c 'dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null'
  $SUDO chown munge:munge /etc/munge/munge.key && $SUDO chmod 600 /etc/munge/munge.key
  $SUDO mkdir -p /run/munge /var/log/munge /var/lib/munge
  $SUDO chown munge:munge /run/munge /var/log/munge /var/lib/munge
  $SUDO runuser -u munge -- /usr/sbin/munged --force </dev/null >/dev/null 2>&1 || { log "munged did not start (see /var/log/munge/munged.log)"; exit 1; }
  touch "$dir/munged.started"
fi
munge -n | unmunge >/dev/null || { log "munge does not work: credentials cannot be encoded and decoded"; exit 1; }

stop_slurm  # daemons left by an earlier start in the same folder
host=$(hostname -s)
node=$(slurmd -C | head -n 1)
rm -rf "$dir/state" "$dir/spool"  # a clean start: no jobs or node states from an earlier one
mkdir -p "$dir/state" "$dir/spool"
cat >"$conf" <<CONF
ClusterName=quern-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
SlurmctldPort=${QUERN_SLURMCTLD_PORT:-16817}
SlurmdPort=${QUERN_SLURMD_PORT:-16818}
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
DependencyParameters=kill_invalid_depend
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=600
$node State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$conf"
# The daemons get /dev/null for stdio: a caller reading this script's output to its end must not
# wait for them.
$SUDO /usr/sbin/slurmctld -f "$conf" -c </dev/null >/dev/null 2>&1 || { log "slurmctld did not start:"; tail -n 20 "$dir/slurmctld.log" >&2; exit 1; }
$SUDO /usr/sbin/slurmd -f "$conf" </dev/null >/dev/null 2>&1 || { log "slurmd did not start:"; tail -n 20 "$dir/slurmd.log" >&2; stop; exit 1; }
for _ in $(seq 150); do
  state=$(scontrol show node "$host" 2>/dev/null | sed -n 's/.*State=\([^ ]*\).*/\1/p' | head -n 1 || true)
  case "$state" in
    *NOT_RESPONDING*|*DRAIN*|*DOWN*|"") ;;
    IDLE*|MIXED*|ALLOCATED*) echo "export SLURM_CONF=$conf"; exit 0 ;;
  esac
  sleep 0.2
done
log "the node did not become idle within 30 s (state: ${state:-none}). Logs:"
tail -n 20 "$dir/slurmctld.log" "$dir/slurmd.log" >&2
stop
exit 1
