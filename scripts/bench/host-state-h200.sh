#!/usr/bin/env bash
# The B=1 wall time against where the process runs (issue 19, eleventh pass): the same B=1 L=128
# latency in processes pinned differently (none, cores 2-5, one core, the GPU's CPU affinity), the
# host's topology and the dense B=32 L=128 forward with split-K 1 / 2 / auto. On the GPU host:
#   source .gpu/prelude.sh; bash scripts/bench/host-state-h200.sh OUTDIR   (results in OUTDIR/host.tgz)
set -u
final=${1:-out}
out=$(mktemp -d)
mkdir -p "$final"
pack() { tar -C "$out" -czf "$final/host.tgz" .; }
{
  date -u; nproc; lscpu; echo; nvidia-smi topo -m; echo
  command -v numactl && numactl --hardware; echo
  cat /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor 2>&1
  grep MHz /proc/cpuinfo | head -16
  nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv
  cat /proc/loadavg
} > "$out/machine.txt" 2>&1
pack
# The GPU's local CPUs as `nvidia-smi topo -m` prints them (its "CPU Affinity" column).
aff=$(nvidia-smi topo -m 2>/dev/null |
  awk '/^GPU0/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9,-]+$/ && $i ~ /[-,]/) { print $i; exit } }')
echo "affinity=${aff:-none}" >> "$out/run.log"
# run NAME COMMAND...: under a 40 s timeout into OUT/NAME.json and .log, then re-packs.
run() {
  local n=$1 s=$SECONDS
  shift
  timeout 40 "$@" > "$out/$n.json" 2> "$out/$n.log"
  echo "$n rc=$? $((SECONDS - s)) s" >> "$out/run.log"
  pack
}
enc=(node .gpu/hp-lab.mjs encoder --no-accuracy --sparsity 0.9 --reps 40 --warmup 5 --spin-up 1500 --batch 1 --seq 128)
for i in 1 2 3; do
  run "nopin-$i" "${enc[@]}"
  run "pin2-5-$i" taskset -c 2-5 "${enc[@]}"
  run "pin1core-$i" taskset -c 3 "${enc[@]}"
  [ -n "${aff:-}" ] && run "pinlocal-$i" taskset -c "$aff" "${enc[@]}"
done
run dispatch-cost-pin1 taskset -c 3 node scripts/bench/dawn-dispatch-cost.mjs
p=(node .gpu/hp-lab.mjs encoder --no-accuracy --sparsity 0.9 --reps 30 --warmup 3 --spin-up 1500 --no-latency
  --profile --batch 32 --seq 128)
run splitk1 "${p[@]}" --split-k 1
run splitk2 "${p[@]}" --split-k 2
run splitkauto "${p[@]}" --split-k auto
run splitk1b "${p[@]}" --split-k 1
cat /proc/loadavg >> "$out/machine.txt"
pack
