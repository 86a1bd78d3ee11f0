#!/usr/bin/env bash
# make bench: numbers, not tests. Writes build/bench/results.json:
#  - lib9p on the host reading/writing a 256 MiB file from diod on loopback, side by side with
#    diodcat (diod's own client) reading the same file at the same msize, in the same run;
#  - image sizes.
#   tests/bench/run.sh BUILD_DIR
set -euo pipefail
build=${1:-build}
out=$build/bench
mkdir -p "$out"
source "$(dirname "$0")/../lib/diod.sh"
work=$(mktemp -d /tmp/p9-bench.XXXXXX)
DIOD_CLEANUP=$work
mkdir -p "$work/export"
head -c $((256 << 20)) /dev/urandom > "$work/export/file256.bin"
start_diod "$work/export" "$work/diod.log"
msize=65536  # diod's largest

best() { sort -g | tail -1; }
diodcat_runs=() lib9p_runs=()
for i in 1 2 3; do
  t0=$(date +%s.%N)
  diodcat -s "$DIOD_ADDRESS" -m $msize -a "$work/export" file256.bin > /dev/null
  t1=$(date +%s.%N)
  diodcat_runs+=("$(python3 -c "print(round(256 / ($t1 - $t0), 1))")")
  lib9p_runs+=("$("$build/host-release/lib9p_bench" "$DIOD_ADDRESS" "$work/export" file256.bin $msize)")
done
diodcat_best=$(printf '%s\n' "${diodcat_runs[@]}" | best)
python3 - "$out/results.json" "$diodcat_best" "${diodcat_runs[*]}" "$build" "${lib9p_runs[@]}" <<'PY'
import json, os, sys
path, diodcat_best, diodcat_all, build = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
runs = [json.loads(r) for r in sys.argv[5:]]
best = max(runs, key=lambda r: r["read_mib_s"])
images = {}
for app in sorted(os.listdir(os.path.join(build, "apps"))):
    elf = os.path.join(build, "apps", app, app + ".elf")
    if os.path.isfile(elf):
        images[app] = os.path.getsize(elf)
result = {
    "lib9p_host_vs_diodcat": {
        "file_mib": 256, "msize": best["msize"], "runs": 3,
        "diodcat_read_mib_s": diodcat_best,
        "diodcat_read_mib_s_all": [float(x) for x in diodcat_all.split()],
        "lib9p_read_mib_s": best["read_mib_s"],
        "lib9p_read_mib_s_all": [r["read_mib_s"] for r in runs],
        "read_ratio_lib9p_over_diodcat": round(best["read_mib_s"] / diodcat_best, 2),
        "lib9p_write_mib_s": max(r["write_mib_s"] for r in runs),
        "lib9p_stat_per_s": max(r["stat_per_s"] for r in runs),
        "lib9p_open_read4k_close_per_s": max(r["open_read4k_close_per_s"] for r in runs),
    },
    "image_bytes": images,
}
json.dump(result, open(path, "w"), indent=2)
print(json.dumps(result, indent=2))
PY
