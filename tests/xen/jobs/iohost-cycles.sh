#!/bin/busybox sh
# dom0 job: one iohost serves CYCLES (default 50; make test runs 12) guests created and destroyed one after the
# other (hello, PV, its share from iohost). Every guest must get its share, run and go away
# with no zombie left (a grant left mapped keeps a domain a zombie), and iohost's resident
# memory must stay flat: measured after the 5th cycle and after the last.
dir=$1
cycles=${CYCLES:-50}
[ -f "$dir/cycles" ] && cycles=$(cat "$dir/cycles")  # the harness's choice
. "$dir/lib.sh"
mkdir -p /srv/cycles && echo "cycle share" > /srv/cycles/motd
start_iohost /run/cycles.ready /run/cycles.log --export c=/srv/cycles --xen-guest cycle=share:c
guest_cfg cycle hello.elf 32 ""
rss() { awk '/^VmRSS/ {print $2}' /proc/$iohost_pid/status; }
started=$(date +%s) rss5="" served=0
n=0
while [ $n -lt $cycles ]; do
  n=$((n + 1))
  : > /var/log/xen/console/guest-cycle.log 2>/dev/null
  if ! xl create -p /tmp/cycle.cfg > /tmp/cycle-create.log 2>&1; then
    bad "cycle $n: xl create failed: $(tail -2 /tmp/cycle-create.log)"; break
  fi
  domid=$(xl domid cycle)
  i=0
  while ! xenstore-exists "/local/domain/0/backend/xen_9pfs/$domid" 2>/dev/null && [ $i -lt 100 ]; do
    sleep 0.1; i=$((i + 1))
  done
  xl unpause cycle
  i=0
  while xl domid cycle > /dev/null 2>&1 && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
  if xl domid cycle > /dev/null 2>&1; then bad "cycle $n: the guest did not finish in 30 s"; xl destroy cycle; break; fi
  console_done cycle
  grep -q "cycle share" "/var/log/xen/console/guest-cycle.log" 2>/dev/null && served=$((served + 1))
  [ $n = 5 ] && rss5=$(rss)
  [ $((n % 10)) = 0 ] && echo "# cycle $n: iohost RSS $(rss) KiB, $(( $(date +%s) - started )) s"
done
sleep 1
rss_end=$(rss)
took=$(( $(date +%s) - started ))
left=$(zombies)
detached=$(grep -c "detached: the domain is gone" /run/cycles.log)
[ $n = "$cycles" ] && [ "$detached" = "$cycles" ] && [ -z "$left" ] \
  && ok "$cycles guests created and destroyed with iohost as their backend in ${took} s: all detached, no zombie" \
  || bad "after $n cycles: $detached detached, domains left: '${left}'"
[ "$served" = "$cycles" ] && ok "every one of them read its share's motd through iohost" \
  || bad "only $served of $n guests printed the motd from their share"
if [ -n "$rss5" ] && [ $((rss_end - rss5)) -lt 1024 ]; then
  ok "iohost's memory stays flat: ${rss5} KiB after 5 cycles, ${rss_end} KiB after $n"
else
  bad "iohost's memory grew: ${rss5:-?} KiB after 5 cycles, ${rss_end} KiB after $n"
fi
kill $iohost_pid
exit $failed
