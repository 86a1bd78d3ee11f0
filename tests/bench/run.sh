#!/usr/bin/env bash
# make bench, host part: numbers, not tests. Writes build/bench/results.json.
#  - iohost vs diod serving the same 256 MiB file (one folder, both servers) on loopback, read
#    by diodcat and by lib9p at msize 64 KiB and 1 MiB (diod caps msize at 64 KiB: the JSON
#    gives the msize each run agreed on);
#  - lib9p's client vs diodcat against the same server;
#  - small-operation rates (stat, open+read 4 KiB+clunk) against both servers;
#  - image sizes (tests/bench/image_sizes.py: build/bench/images.json, by part).
# The sides alternate (A B A B ...) for ROUNDS rounds (default 5); the JSON has every run, the
# median and the spread (min, max), and ratios of medians. This machine is noisy: one run
# proves little.
#   tests/bench/run.sh BUILD_DIR [ROUNDS]
set -euo pipefail
build=${1:-build}
rounds=${2:-5}
out=$build/bench
mkdir -p "$out"
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/diod.sh"
source "$here/../lib/iohost.sh"
work=$(mktemp -d /tmp/p9-bench.XXXXXX)
P9_OWN_TRAP=1
trap 'stop_diod; stop_iohost; rm -rf "$work"' EXIT
mkdir -p "$work/export"
head -c $((256 << 20)) /dev/urandom > "$work/export/file256.bin"
start_diod "$work/export" "$work/diod.log"
start_iohost "$build/bin/iohost" "$work" "$work/iohost.log" --export "data=$work/export"
declare -A address=([diod]=$DIOD_ADDRESS [iohost]=$IOHOST_ADDRESS)
declare -A aname=([diod]=$work/export [iohost]=data)
runs=$work/runs.jsonl
: > "$runs"

diodcat_run() {  # diodcat_run SERVER: MiB/s reading the file with diod's own client
  local t0 t1
  t0=$(date +%s.%N)
  diodcat -s "${address[$1]}" -m 65536 -a "${aname[$1]}" file256.bin | cmp -s - "$work/export/file256.bin" \
    || { echo "bench: diodcat from $1 returned different bytes" >&2; exit 1; }
  t1=$(date +%s.%N)
  echo "{\"client\": \"diodcat\", \"server\": \"$1\", \"msize\": 65536, \"read_mib_s\": $(python3 -c "print(round(256 / ($t1 - $t0), 1))")}" >> "$runs"
}
lib9p_run() {  # lib9p_run SERVER MSIZE: read, write and small-op rates with lib9p's client
  local line
  line=$("$build/host-release/lib9p_bench" "${address[$1]}" "${aname[$1]}" file256.bin "$2")
  echo "{\"client\": \"lib9p\", \"server\": \"$1\", \"asked_msize\": $2, ${line#\{}" >> "$runs"
}

for ((i = 1; i <= rounds; i++)); do
  echo "bench: round $i of $rounds" >&2
  # Alternate which server goes first each round.
  if ((i % 2)); then order=(diod iohost); else order=(iohost diod); fi
  for s in "${order[@]}"; do diodcat_run "$s"; done
  for s in "${order[@]}"; do lib9p_run "$s" 65536; done
  for s in "${order[@]}"; do lib9p_run "$s" 1048576; done
done

python3 - "$out/results.json" "$build" "$runs" "$rounds" <<'PY'
import json, os, statistics, sys
path, build, runs_file, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
runs = [json.loads(l) for l in open(runs_file)]

def pick(client, server, key, asked=None):
    return [r[key] for r in runs if r["client"] == client and r["server"] == server
            and (asked is None or r.get("asked_msize") == asked)]

def summary(values):
    return {"median": round(statistics.median(values), 1), "min": min(values), "max": max(values), "all": values}

def ratio(a, b):
    return round(statistics.median(a) / statistics.median(b), 2)

result = {"rounds_alternating": rounds, "file_mib": 256, "read_mib_s": {}, "ratios": {}, "small_ops": {}}
for server in ("diod", "iohost"):
    result["read_mib_s"]["diodcat<-%s (msize 64K)" % server] = summary(pick("diodcat", server, "read_mib_s"))
    for asked, label in ((65536, "64K"), (1048576, "1M")):
        agreed = sorted(set(pick("lib9p", server, "msize", asked)))
        key = "lib9p<-%s (asked msize %s, agreed %s)" % (server, label, "/".join(map(str, agreed)))
        result["read_mib_s"][key] = summary(pick("lib9p", server, "read_mib_s", asked))
        result["small_ops"]["%s msize %s" % (server, label)] = {
            "stat_per_s": summary(pick("lib9p", server, "stat_per_s", asked)),
            "open_read4k_clunk_per_s": summary(pick("lib9p", server, "open_read4k_close_per_s", asked)),
            "write_mib_s": summary(pick("lib9p", server, "write_mib_s", asked))}
r = result["ratios"]
r["iohost_over_diod, diodcat reading"] = ratio(pick("diodcat", "iohost", "read_mib_s"), pick("diodcat", "diod", "read_mib_s"))
for asked, label in ((65536, "64K"), (1048576, "1M")):
    r["iohost_over_diod, lib9p reading, msize %s" % label] = ratio(
        pick("lib9p", "iohost", "read_mib_s", asked), pick("lib9p", "diod", "read_mib_s", asked))
    r["iohost_over_diod, stat/s, msize %s" % label] = ratio(
        pick("lib9p", "iohost", "stat_per_s", asked), pick("lib9p", "diod", "stat_per_s", asked))
    r["iohost_over_diod, open+read4k+clunk/s, msize %s" % label] = ratio(
        pick("lib9p", "iohost", "open_read4k_close_per_s", asked), pick("lib9p", "diod", "open_read4k_close_per_s", asked))
for server in ("diod", "iohost"):
    r["lib9p_over_diodcat against %s, msize 64K" % server] = ratio(
        pick("lib9p", server, "read_mib_s", 65536), pick("diodcat", server, "read_mib_s"))
json.dump(result, open(path, "w"), indent=2)
print(json.dumps({k: result[k] for k in ("ratios",)}, indent=2))
for k, v in result["read_mib_s"].items():
    print("%-52s median %7.1f MiB/s  (min %s, max %s)" % (k, v["median"], v["min"], v["max"]))
PY
"$here/image_sizes.py" "$build"
