# Sourced by the dom0 jobs (xenbox.py copies it next to each job.sh): results, guests, waits.
# Lines "ok - ..." / "not ok - ..." are what the harness reads; `failed` counts the second kind.
failed=0
ok() { echo "ok - $*"; }
bad() { echo "not ok - $*"; failed=$((failed + 1)); }
console() { cat "/var/log/xen/console/guest-$1.log" 2>/dev/null; }
console_has() { console "$1" | grep -q "$2"; }
show() { console "$1" | sed "s/^/# $1: /"; }
running() { xl domid "$1" > /dev/null 2>&1; }
not_running() { ! running "$1"; }
# wait_for SECONDS COMMAND...: runs COMMAND every 0.2 s until it succeeds; false at the deadline.
wait_for() {
  limit=$(( $1 * 5 )); shift; i=0
  while ! "$@" && [ $i -lt $limit ]; do sleep 0.2; i=$((i + 1)); done
  "$@"
}
# console_done NAME: waits (5 s at most) until xenconsoled has written the guest's last line,
# "shutdown: ..." (kernel/shutdown.cpp), to its log. A guest destroyed from outside never
# writes one: then it returns after the 5 s, and what the log holds is what there is.
console_done() { wait_for 5 console_has "$1" "shutdown: " || true; }
# listening PORT: something in dom0 listens on TCP PORT (state 0A in /proc/net/tcp{,6}).
listening() { cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | grep -q ":$(printf '%04X' "$1") 0\{8,32\}:0000 0A"; }
# guest_cfg NAME IMAGE MEMORY CMDLINE [TYPE]: an xl config /tmp/NAME.cfg (PV unless TYPE is
# pvh) for an image next to the job.
guest_cfg() {
  cat > "/tmp/$1.cfg" <<CFG
name = "$1"
type = "${5:-pv}"
kernel = "$dir/$2"
memory = $3
vcpus = 1
cpus = "1"
cmdline = "$4"
on_poweroff = "destroy"
on_reboot = "destroy"
on_crash = "destroy"
CFG
}
# start_iohost READY_FILE LOG ARGS...: iohost in the background (pid in $iohost_pid), waited for.
start_iohost() {
  ready=$1 log=$2; shift 2
  iohost "$@" --ready-file "$ready" 2> "$log" &
  iohost_pid=$!
  wait_for 10 test -f "$ready" || { bad "iohost did not start: $(cat "$log")"; exit 1; }
}
# zombies: the domains besides Domain-0 that xl still lists.
zombies() { xl list | tail -n +2 | awk '{print $1}' | grep -v '^Domain-0$' | tr '\n' ' '; }
# create_attached NAME: xl create paused, wait (10 s) until iohost has written the domain's 9pfs
# devices, then unpause: for a guest that opens its shares at once (xenos.mounts=none) rather
# than waiting for them.
create_attached() {
  xl create -p "/tmp/$1.cfg" > "/tmp/$1.create" 2>&1 || { bad "xl create $1: $(cat "/tmp/$1.create")"; return 1; }
  domid=$(xl domid "$1")
  wait_for 10 xenstore-exists "/local/domain/0/backend/xen_9pfs/$domid" || bad "iohost did not attach to $1 in 10 s"
  xl unpause "$1"
}
