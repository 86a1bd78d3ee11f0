#!/bin/busybox sh
# dom0 job: apps/faulttest, PV and PVH, with iohost as its backend, and iohost killed,
# restarted, stopped and continued at the moments the guest asks for (a request "SEQ ACTION"
# in the guest's xenstore data/faulttest/request, answered with SEQ in data/faulttest/done).
# Then, on the host: the 16 MiB file written across a kill is complete and right (cksum
# against the guest's), the guest's other files are there. Last, `faulttest leak` runs the
# open/close and unmount/mount cycles and prints its counts (iohost's fids among them).
dir=$1
. "$dir/lib.sh"
leak_opens=${LEAK_OPENS:-10000} leak_mounts=${LEAK_MOUNTS:-1000}
[ -f "$dir/leak" ] && read -r leak_opens leak_mounts < "$dir/leak"  # the harness's choice
kinds="pv pvh"
[ -f "$dir/kinds" ] && read -r kinds < "$dir/kinds"  # a developer's shortcut: "pv" alone
for kind in pv pvh leak qemu; do
  mkdir -p "/srv/ft/$kind" && echo "seeded by the host" > "/srv/ft/$kind/motd"
done
set -- --net net
for kind in pv pvh leak; do
  set -- "$@" --export "$kind=/srv/ft/$kind" --xen-guest "ft-$kind=fs:$kind,direct:$kind,short:$kind,hang:$kind,net:net,fo:$kind"
done
iohost_args="$*"
# The failover backend: a second iohost serving the same folders as device 8 on ("fo-b"; for
# ft-qemu, whose device 0 is QEMU's, "q-b"); it is never killed.
set --
for kind in pv pvh leak; do set -- "$@" --export "$kind=/srv/ft/$kind" --xen-guest "ft-$kind=fo-b:$kind"; done
set -- "$@" --export qemu=/srv/ft/qemu --xen-guest ft-qemu=q-b:qemu
start_iohost /run/ftb.ready /run/ft.log.backup --xen-first-device 8 "$@"
backup_pid=$iohost_pid
starts=0
start_io() {
  starts=$((starts + 1))
  rm -f /run/ft.ready
  # shellcheck disable=SC2086  # the arguments have no spaces
  start_iohost /run/ft.ready "/run/ft.log.$starts" $iohost_args
}
kill_io() { kill -9 "$iohost_pid" 2>/dev/null; wait "$iohost_pid" 2>/dev/null; }
# Gives the guest the fids iohost's session for its share "fs" holds, from iohost's status
# report (SIGUSR1; the report ends with "status: end"): data/faulttest/fids, or "none".
fids_to_guest() {
  log=/run/ft.log.$starts
  ends=$(grep -c 'status: end' "$log")
  kill -USR1 "$iohost_pid"
  i=0
  while [ "$(grep -c 'status: end' "$log")" -le "$ends" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  fids=""  # the last report's line for the device (no report in 5 s: none)
  [ $i -lt 50 ] && fids=$(grep "status: xen: guest $guest (domain $domid) share fs: " "$log" | tail -1 |
    sed -n 's/.*: \([0-9]*\) fids.*/\1/p')
  xenstore-write "/local/domain/$domid/data/faulttest/fids" "${fids:-none}"
}
# kill -9 the device model xl started for this guest: QEMU, its xen-9pfs backend.
kill_qemu() {
  for p in /proc/[0-9]*; do
    case " $(tr '\0' ' ' < "$p/cmdline" 2>/dev/null)" in
      *" -xen-domid $domid "*) kill -9 "${p#/proc/}" && echo "# harness: killed QEMU (pid ${p#/proc/})" ;;
    esac
  done
}
act() {
  case $1 in
    restart) kill_io; start_io ;;
    kill) kill_io ;;
    start) start_io ;;
    stop) kill -STOP "$iohost_pid" ;;
    cont) kill -CONT "$iohost_pid" ;;
    fids) fids_to_guest ;;
    kill-qemu) kill_qemu ;;
    *) bad "the guest asked for '$1', which the harness does not know" ;;
  esac
}
# run NAME [SECONDS]: creates the guest (paused until iohost attached) and serves its requests
# until it ends (SECONDS at most, default 300).
run() {
  create_attached "$1" || return
  guest=$1 domid=$(xl domid "$1")
  last="" end=$(($(date +%s) + ${2:-300}))  # by the clock: a turn of the loop takes longer than its sleep
  while running "$1" && [ "$(date +%s)" -lt $end ]; do
    req=$(xenstore-read "/local/domain/$domid/data/faulttest/request" 2>/dev/null)
    if [ -n "$req" ] && [ "$req" != "$last" ]; then
      last=$req
      act "${req#* }"
      xenstore-write "/local/domain/$domid/data/faulttest/done" "${req%% *}"
      echo "# harness: '$req' done ($(date +%T))"
    fi
    sleep 0.1
  done
  running "$1" && { bad "$1 did not finish in ${2:-300} s"; xl destroy "$1"; }
  console_done "$1"
  show "$1"
}

start_io
for kind in $kinds; do
  guest_cfg "ft-$kind" faulttest.elf 128 "xenos.mounts=fs,net xenos.recover=30" "$kind"
  run "ft-$kind"
  summary=$(console "ft-$kind" | grep -o '\[faulttest\] [0-9]* passed, [0-9]* failed')
  case $summary in
    *" 0 failed") ok "faulttest $kind: $summary (iohost killed, restarted, stopped under it)" ;;
    *) bad "faulttest $kind: ${summary:-no summary}: $(console "ft-$kind" | grep '^not ok' | tr '\n' ' ')" ;;
  esac
  want=$(console "ft-$kind" | sed -n 's/.*crc32 \([0-9a-f]*\) size \([0-9]*\).*/\1 \2/p' | tail -1)
  have="$(crc32 "/srv/ft/$kind/big.bin" 2>/dev/null | awk '{print $1}') $(wc -c < "/srv/ft/$kind/big.bin" 2>/dev/null)"
  if [ -n "$want" ] && [ "$want" = "$have" ]; then
    ok "faulttest $kind: the 16 MiB written across a kill is on the host's disk whole (crc32, size: $have)"
  else
    bad "faulttest $kind: big.bin on the host is '$have', the guest wrote '$want'"
  fi
  [ "$(cat "/srv/ft/$kind/log.txt" 2>/dev/null)" = "$(printf 'before\nafter')" ] \
    && ok "faulttest $kind: a file written before and after a restart through one descriptor is right on the host" \
    || bad "faulttest $kind: log.txt on the host: '$(cat "/srv/ft/$kind/log.txt" 2>&1)'"
done

# QEMU's xen-9pfs as the share's first backend (xl's p9= entry, device 0), iohost's "q-b" as
# its second: QEMU is killed under the guest, which goes on through iohost.
if [ -n "$kinds" ]; then
  guest_cfg ft-qemu faulttest.elf 64 "xenos.mounts=none qemu-failover"
  echo "p9 = [ 'tag=q,security_model=none,path=/srv/ft/qemu' ]" >> /tmp/ft-qemu.cfg
  run ft-qemu 120
  console ft-qemu | grep -q '\[faulttest\] 1 passed, 0 failed' \
    && ok "faulttest qemu: QEMU's backend killed under a guest, its share went on through iohost" \
    || bad "faulttest qemu: $(console ft-qemu | grep '^not ok\|\[faulttest\]' | tr '\n' ' ')"
  [ "$(cat /srv/ft/qemu/failover.txt 2>/dev/null)" = "$(printf 'first, through q\nthen q-b')" ] \
    && ok "faulttest qemu: the file written through QEMU, then iohost, is right on the host" \
    || bad "faulttest qemu: failover.txt on the host: '$(cat /srv/ft/qemu/failover.txt 2>&1)'"
fi

if [ "$leak_opens" != 0 ]; then
  guest_cfg ft-leak faulttest.elf 64 "xenos.mounts=fs,net leak $leak_opens $leak_mounts"
  run ft-leak $((60 + leak_opens / 20 + leak_mounts))  # ~27 ms an open, ~0.6 s a mount here
  console ft-leak | grep -q '\[faulttest\] 2 passed, 0 failed' \
    && ok "faulttest leak: $leak_opens open/close and $leak_mounts unmount/mount cycles: grants, channels, iohost's fids, memory back to the start" \
    || bad "faulttest leak: $(console ft-leak | grep '\[faulttest\]')"
fi
kill_io
kill "$backup_pid"
wait "$backup_pid" 2>/dev/null
sleep 1
left=$(zombies)
[ -z "$left" ] && ok "faulttest: no zombie domain after $starts iohost starts" || bad "domains left: $left"
for f in /run/ft.log.*; do sed "s|^|# $(basename "$f"): |" "$f"; done
exit $failed
