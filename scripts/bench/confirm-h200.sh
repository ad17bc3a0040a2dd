#!/usr/bin/env bash
# Confirms main as landed on the GPU host with its defaults (auto attention, auto kernels), in one
# short call (BENCHMARKS.md, Encoder engine, "the lead's confirming calls"). Run from the project
# root with the bundled CLI at .gpu/hp-lab.mjs and the runtime sourced:
#   source .gpu/prelude.sh; STEPS="latency profile ablate int8 logits" bash scripts/bench/confirm-h200.sh OUTDIR
# Steps (STEPS, space-separated, in this order): latency (encoder dense/HP 90% at B 1,32 x L 64,128),
# latency2 (the same shapes in reverse order: the first shape of a process reads high), anchors and
# anchors2 (dense/HP 90% at B 1,8,32 x L 16,64,128, in both orders: the GPU roofline's anchors), profile
# (GPU time per op kind at L=128), columns (HP 90 % profiled at B=32 L=128 with the HP linears on
# rows, unfused (--hp-fuse-ln off), and unfused with the columns LayerNorm at 4, 8, 16 rows a
# workgroup, and with the HP Q/K/V rows unpadded, 960 floats: the default pads them to 968),
# leave-out (the forward without each op kind, and regrouped by kind, dense and HP at B 8,32 L=128),
# ablate (bench attention --ablate at B=32 L=128), verify (bench verify), int8-kernels (int8 HP 90%
# 4096² and dense 4096³, every variant, verified then timed), int8 (the int8 encoder, B=32 L=128,
# HP 90%, per-op profile), submit (B=1 latency with the forward in one command buffer, the default,
# against 3,5,8 chunks, and scripts/bench/dawn-dispatch-cost.mjs: Dawn's CPU and GPU cost of a
# dispatch), b1 (B=1 latency with the recording ahead sliced, --record-slice 4/8/16, and with the HP
# linears on rows, --hp-columns off, against the default (columns, fused with their LayerNorm); the
# default before and after), qkv-tile (the dense B=32 L=128 forward profiled with other Q/K/V tiles), tiles2 (dense
# tiles that divide 936 and 312, in the forward and verified alone), out-tiles (the dense forward
# with other attention-output and FFN-out tiles), b1-ln (B=1 L=128 HP on columns fused with their
# LayerNorm, on the fused kernel's smaller tiles, latency and profile), readback-first (B=1 L=128 wall
# with --readback-first on, with and without --submit-chunks, against the default), logits-b128 (the logits
# step in batches of 128 sentences: 4096+ tokens a call in the longest; from 2048 tokens the HP columns
# kernel skips the tile-rows no later kernel reads, so this step checks that path), live (HP 90 % B=32
# L=128 profiled with --hp-live auto, off, auto in one process; live64 the same at L=64), logits-live
# (the logits step with the skipped tile-rows and attention heads at every batch: --hp-live rows, HP
# linears forced on columns), cls (B=32 L=128 profiled and timed with --cls-tail off, on, on+attention in one
# process), logits-cls (the logits step with the [CLS] attention at every batch), tail-forms (the tail's
# HP output linears fused + gather against split + compact, and off, at B 1,32 x L 128,64), logits-split
# (the logits step with split + compact at every batch), tail-whole (the tail's HP output linears in one
# dispatch against K splits, and its slices and load step, B=32 L=128 profiled in one process, then B=1 / 32
# timed), tail-small (the tail off / on
# at B=32 L=64 and B=1 L=128, profiled and timed), int8-tail (the int8 encoder, B=32 L=128 HP 90 %, with the
# tail off, on over every query, on with the [CLS] attention in one process), logits-int8-tail (int8
# dev-split logits, dense and HP 90 %, per tail mode: compare the rows of the three files), int8-scale (the
# int8 encoder, B=32 L=128 HP 90 %, with the activation scale over the whole row, the columns read, and those at
# the output linears' inputs, twice each in one process), int8-scale-leave (the same, row and read-out, with
# --profile-leave-out), logits-int8-scale (int8
# dev-split logits, read scale, its skips at every batch and none: the files' rows equal), cold (HP 90 % and dense
# B=32 L=128 profiled with each dispatch alone, in place (prefix), after the one before it (pairs) and cold
# (after a 256 MiB read of another buffer): is a dispatch's cost in the forward set by its neighbour, or by
# its data leaving the cache?), prefetch (B=32 L=128
# and B=1 L=128 with --cls-tail auto, auto+prefetch, auto in one process: the whole tail's and the head's
# weights read into the cache before the last attention, profiled and timed), logits-prefetch (the logits
# step with the prefetch: its file's rows equal the plain logits step's), logits (dev-split logits at
# 0/50/90%, compared here with
# `npx hp-lab encoder --compare-ort --engine-logits FILE --no-latency --sparsity 0,0.5,0.9`).
# Everything goes into OUTDIR/confirm.tgz (refreshed after each step: the device returns few files).
# The exit status is 1 if any step failed, timed out or is unknown (the others still run).
# A plan checked before a device call spends time on it: DRY=1 runs the same steps' command lines at
# toy sizes on this machine's adapter (SwiftShader on a dev machine): batches at most 2, sequences at
# most 16, matrices at most 256, 2 repetitions, no spin-up, 8 MiB cold fills, 8 dev sentences, `bench
# verify --quick`; each step's timeout times DRY_SCALE (default 4). Steps that force a tile a software
# adapter does not use (qkv-tile, tiles2, out-tiles, b1-ln's l16) are refused there in one line.
# HP_LAB_CLI names the CLI (default .gpu/hp-lab.mjs; here
# a build beside node_modules, e.g. `node scripts/build-cli.mjs .dev-dry/cli.mjs`):
#   DRY=1 HP_LAB_CLI=.dev-dry/cli.mjs STEPS="cold prefetch" bash scripts/bench/confirm-h200.sh /tmp/dry
set -u
final=${1:-confirm-out}
out=$(mktemp -d)
mkdir -p "$final"
cli=${HP_LAB_CLI:-.gpu/hp-lab.mjs}
failed=0
# shrink ARGS...: the arguments with DRY's toy sizes (printed one a line).
shrink() {
  local prev='' a v cmd=$1 limited=0 out=()
  min_each() { local IFS=, x r=(); for x in $1; do r+=($((x < $2 ? x : $2))); done; echo "${r[*]}"; }
  for a in "$@"; do
    v=$a
    case $prev in
      --batch) v=$(min_each "$a" 2) ;;
      --seq) v=$(min_each "$a" 16) ;;
      --m | --k | --n) v=$(min_each "$a" 256) ;;
      --reps) v=2 ;;
      --warmup) v=1 ;;
      --spin-up) v=0 ;;
      --profile-cold) v=8 ;;
      --limit) limited=1 ;;
    esac
    [ "$a" = --no-accuracy ] && limited=1
    out+=("$v")
    prev=$a
  done
  [ "$cmd" = encoder ] && [ $limited = 0 ] && out+=(--limit 8)
  [ "$cmd" = bench ] && [ "${2:-}" = verify ] && out+=(--quick)
  printf '%s\n' "${out[@]}"
}
# step NAME SECONDS COMMAND...: runs it under a timeout into OUT/NAME.json and .log, then re-packs.
step() {
  local n=$1 t=$2 s=$SECONDS rc
  shift 2
  [ "${DRY:-0}" = 1 ] && t=$((t * ${DRY_SCALE:-4}))
  timeout "$t" "$@" > "$out/$n.json" 2> "$out/$n.log"
  rc=$?
  [ $rc = 0 ] || failed=1
  echo "$n rc=$rc $((SECONDS - s)) s" | tee -a "$out/run.log"
  tar -C "$out" -czf "$final/confirm.tgz" .
}
c() {
  local n=$1 t=$2 args=("${@:3}")
  [ "${DRY:-0}" = 1 ] && mapfile -t args < <(shrink "${args[@]}")
  step "$n" "$t" node "$cli" "${args[@]}"
}
{ nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv; nproc; } > "$out/machine.txt" 2>&1
# The GPU's clocks, power and P-state every 200 ms through the call (clocks.csv), to tell a slow
# forward in one process from a slow GPU at that moment.
nvidia-smi --query-gpu=timestamp,pstate,clocks.sm,clocks.mem,power.draw,utilization.gpu --format=csv,nounits \
  -lms 200 > "$out/clocks.csv" 2>/dev/null &
clocks=$!
trap 'kill $clocks 2>/dev/null' EXIT
enc=(encoder --no-accuracy --sparsity 0.9 --reps 30 --warmup 3 --spin-up 1500)
for s in ${STEPS:-latency latency2 profile columns leave-out ablate verify int8-kernels int8 submit logits}; do
  case $s in
    latency) c latency 70 "${enc[@]}" --batch 1,32 --seq 64,128 ;;
    latency2) c latency2 70 "${enc[@]}" --batch 32,1 --seq 128,64 ;;
    # The GPU roofline's anchor shapes (src/core/hardware/gpu-anchors.ts), both orders.
    anchors) c anchors 150 "${enc[@]}" --batch 1,8,32 --seq 16,64,128 ;;
    anchors2) c anchors2 150 "${enc[@]}" --batch 32,8,1 --seq 128,64,16 ;;
    profile) c profile 35 "${enc[@]}" --no-latency --batch 1,32 --seq 128 --profile ;;
    columns)
      c columns-off 30 "${enc[@]}" --no-latency --batch 32 --seq 128 --profile --hp-columns off
      # The HP attention output / FFN-out run fused with their LayerNorm by default (hp-columns-ln):
      # the columns LayerNorm's rows a workgroup only matter unfused.
      c columns-fuse-off 30 "${enc[@]}" --no-latency --batch 32 --seq 128 --profile --hp-fuse-ln off
      for r in 4 8 16; do
        c columns-ln$r 30 "${enc[@]}" --no-latency --batch 32 --seq 128 --profile --hp-fuse-ln off --ln-columns-rows $r
      done
      c columns-qkvpad0 30 "${enc[@]}" --no-latency --batch 32 --seq 128 --profile --qkv-pad 0 ;;
    leave-out) c leave-out 45 "${enc[@]}" --no-latency --batch 8,32 --seq 128 --profile --profile-leave-out ;;
    ablate) c ablate 40 bench attention --batch 32 --seq 128 --ablate none,loads,scores,values ;;
    verify) c verify 60 bench verify ;;
    int8-kernels)
      HP_LAB_UNSAFE_APIS=1 c int8-hp 40 bench hp --quant int8 --m 4096 --k 4096 --n 4096 --sparsity 0.9 \
        --tile 32x32 --variant all --reps 20
      HP_LAB_UNSAFE_APIS=1 c int8-dense 40 bench matmul --quant int8 --m 4096 --k 4096 --n 4096 --tile all --reps 10 ;;
    int8) HP_LAB_UNSAFE_APIS=1 c int8 40 "${enc[@]}" --quant int8 --batch 32 --seq 128 --profile ;;
    submit)
      c submit-default 40 "${enc[@]}" --batch 1 --seq 64,128
      c submit-chunks 40 "${enc[@]}" --batch 1 --seq 64,128 --submit-chunks 3,5,8
      c submit-default2 40 "${enc[@]}" --batch 1 --seq 64,128
      step dispatch-cost 60 node scripts/bench/dawn-dispatch-cost.mjs ;;
    b1)
      c b1-default 40 "${enc[@]}" --batch 1 --seq 64,128
      for n in 4 8 16; do c b1-slice$n 40 "${enc[@]}" --batch 1 --seq 64,128 --record-slice $n; done
      # B=1 runs the HP linears on columns by default since the tenth pass; --hp-columns off: on rows.
      c b1-rows 40 "${enc[@]}" --batch 1 --seq 64,128 --hp-columns off
      c b1-columns-slice8 40 "${enc[@]}" --batch 1 --seq 64,128 --record-slice 8
      c b1-profile 40 "${enc[@]}" --no-latency --batch 1 --seq 128 --profile
      c b1-profile-rows 40 "${enc[@]}" --no-latency --batch 1 --seq 128 --profile --hp-columns off
      c b1-default2 40 "${enc[@]}" --batch 1 --seq 64,128 ;;
    readback-first)
      # B=1 L=128 run/idle wall with the logits read back before the next forward is recorded
      # (--readback-first on), alone and with chunked submits, against the default; twice, interleaved.
      for i in 1 2; do
        c "rb-default-$i" 30 "${enc[@]}" --batch 1 --seq 128
        c "rb-on-$i" 30 "${enc[@]}" --batch 1 --seq 128 --readback-first on
        for ch in 4 6 3,6; do
          c "rb-on-chunks${ch/,/-}-$i" 30 "${enc[@]}" --batch 1 --seq 128 --readback-first on --submit-chunks $ch
        done
        c "rb-chunks4-$i" 30 "${enc[@]}" --batch 1 --seq 128 --submit-chunks 4
      done
      c rb-b32-default 40 "${enc[@]}" --batch 32 --seq 128
      c rb-b32-on 40 "${enc[@]}" --batch 32 --seq 128 --readback-first on ;;
    qkv-tile)
      # The dense Q/K/V (312 -> 936) tile in the B=32 L=128 forward (auto: 128x128/8x8/2d).
      for t in auto 128x96/8x8/2d 128x96/8x4/2d 128x128/8x4/2d; do
        v=(); [ "$t" = auto ] || v=(--dense-variant "312x936=$t")
        c "qkv-${t//\//_}" 30 "${enc[@]}" --no-latency --batch 32 --seq 128 --profile "${v[@]}"
      done ;;
    tiles2)
      # Dense tiles whose width divides the output (936 = 9 x 104, 312 = 6 x 52 = 3 x 104), in the
      # B=32 L=128 forward and verified alone.
      for t in 312x936=128x104/8x8/2d 312x936=128x104/8x4/2d 312x936=64x104/8x8/2d \
        1200x312=64x52/4x4/2d 1200x312=32x104/4x8/2d; do
        c "t2-${t//[\/=]/_}" 30 "${enc[@]}" --no-latency --batch 32 --seq 128 --profile --dense-variant "$t"
      done
      c t2-mm-qkv 40 bench matmul --m 4096 --k 312 --n 936 --reps 10 \
        --tile 128x128/8x8/2d,128x104/8x8/2d,128x104/8x4/2d,64x104/8x8/2d
      c t2-mm-ffn2 40 bench matmul --m 4096 --k 1200 --n 312 --reps 10 --tile 64x64/8x4/2d,64x52/4x4/2d,32x104/4x8/2d ;;
    out-tiles)
      # The dense attention-output (312 -> 312) and FFN-out (1200 -> 312) tiles in the B=32 L=128 forward.
      for t in 312x312=32x64/4x4/2d 1200x312=32x64/4x4/2d 1200x312=64x64/8x8/2d; do
        c "out-${t//[\/=]/_}" 30 "${enc[@]}" --no-latency --batch 32 --seq 128 --profile --dense-variant "$t"
      done ;;
    b1-ln)
      # B=1 L=128 HP 90 % with the HP linears on columns fused with their LayerNorm (23 dispatches,
      # not 30) on the smaller fused tiles: more workgroups for 128 tokens (l16: 8, l8: 16).
      for t in l16 l8 l8/k4 l8/k16; do
        c "b1-ln-${t//\//_}" 40 "${enc[@]}" --batch 1 --seq 128 --hp-columns on --hp-ln-tile "$t"
        c "b1-ln-${t//\//_}-profile" 30 "${enc[@]}" --no-latency --batch 1 --seq 128 --profile --hp-columns on \
          --hp-ln-tile "$t"
      done ;;
    logits) c logits 40 encoder --no-latency --sparsity 0,0.5,0.9 --save-logits "$out/engine-logits.json" ;;
    logits-b128)
      # Batches of 128 sentences: the longest reach 4096+ tokens a call, where the dense output
      # linears run split in two K-slices by default (compare with --eval-batch 128 here too).
      c logits-b128 60 encoder --no-latency --sparsity 0,0.5,0.9 --eval-batch 128 \
        --save-logits "$out/engine-logits-b128.json" ;;
    live) c live 40 "${enc[@]}" --no-latency --batch 32 --seq 128 --profile --hp-live auto,off,auto ;;
    live64) c live64 40 "${enc[@]}" --no-latency --batch 32 --seq 64 --profile --hp-live auto,off,auto ;;
    logits-live)
      # The skipped tile-rows and heads at every batch (hp-live rows, HP linears forced on columns).
      c logits-live 60 encoder --no-latency --sparsity 0,0.5,0.9 --hp-live rows --hp-columns on \
        --save-logits "$out/engine-logits-live.json" ;;
    cls)
      # The [CLS] tail off, on, and on with the last layer's [CLS]-query attention, one process (its
      # forward, not the sum of ops, decides: a prototype read one HP forward at 1.8 ms; thirteenth pass).
      c cls 60 "${enc[@]}" --no-latency --batch 32 --seq 128 --profile --cls-tail off,on,on+attention,on
      c cls-latency 60 "${enc[@]}" --batch 32 --seq 128 --cls-tail on,on+attention ;;
    logits-cls)
      # The [CLS] attention at every batch (tail forced on, skipped heads mapped, HP linears on columns).
      c logits-cls 60 encoder --no-latency --sparsity 0,0.5,0.9 --cls-tail on+attention --hp-live rows \
        --hp-columns on --save-logits "$out/engine-logits-cls.json" ;;
    tail-small)
      # The [CLS] tail (with its attention) against none where 'auto' leaves it off: B=32 L=64 (2048
      # tokens, HP's threshold is 4096) and B=1 L=128, profiled, then timed (run()'s wall too).
      c tail-small 60 "${enc[@]}" --no-latency --batch 32,1 --seq 64,128 --profile --cls-tail off,on,off
      c tail-small-latency 60 "${enc[@]}" --batch 32,1 --seq 64,128 --cls-tail off,on ;;
    tail-forms)
      # The tail's HP output linears fused (with the gather, the form before) against K splits with the
      # [CLS] attention writing its rows (the defaults), and the tail off, one process: B=1 decides
      # CLS_TAIL_MIN_TOKENS_HP (BENCHMARKS.md, issue 19 fourteenth pass, helper 14b).
      c tail-forms 110 "${enc[@]}" --no-latency --reps 15 --batch 1,32 --seq 128,64 --profile \
        --cls-tail off,on+split+compact,on+fused+gather ;;
    tail-whole)
      # The tail's HP output linears in one dispatch (the default since the eighteenth pass) against K
      # splits (the default before), 4 / 16 slices and 1 / 4 / 8 kept columns a load step (BENCHMARKS.md,
      # issue 19 eighteenth pass), then timed where 'split' leaves B=1 without the tail.
      c tail-whole 150 "${enc[@]}" --no-latency --batch 32 --seq 128 --profile \
        --cls-tail on+split,on+whole4,on+whole16+unroll1,on+whole16+unroll8,on+whole
      c tail-whole-latency 90 "${enc[@]}" --batch 1,32 --seq 64,128 --cls-tail auto+split,auto ;;
    logits-split)
      # The tail's default forms at every batch (tail forced on, K splits, compact rows, HP on columns).
      c logits-split 60 encoder --no-latency --sparsity 0,0.5,0.9 --cls-tail on+split+compact --hp-live rows \
        --hp-columns on --save-logits "$out/engine-logits-split.json" ;;
    int8-tail)
      # The int8 encoder's [CLS] tail off, on over every query (bit for bit with off) and on with the
      # [CLS]-query attention (the default since the seventeenth pass), one process (BENCHMARKS.md, int8
      # fourteenth pass).
      HP_LAB_UNSAFE_APIS=1 c int8-tail 60 "${enc[@]}" --quant int8 --no-latency --batch 32 --seq 128 --profile \
        --cls-tail off,on+all-queries,on ;;
    logits-int8-tail)
      # int8 dev-split logits with the tail off / over every query / with the [CLS] attention (the default)
      # at every batch (compare the files' rows). File names without '+' (the device returns no such names).
      for t in off on+all-queries on; do
        n=${t//+/-}
        HP_LAB_UNSAFE_APIS=1 c "logits-int8-$n" 30 encoder --quant int8 --no-latency --sparsity 0,0.9 --cls-tail "$t" \
          --save-logits "$out/engine-logits-int8-$n.json"
      done ;;
    int8-scale)
      HP_LAB_UNSAFE_APIS=1 c int8-scale 80 "${enc[@]}" --quant int8 --batch 32 --seq 128 --profile --no-latency \
        --int8-scale row,read,read-out,row,read,read-out ;;
    int8-scale-leave)
      HP_LAB_UNSAFE_APIS=1 c int8-scale-leave 60 "${enc[@]}" --quant int8 --batch 32 --seq 128 --profile --no-latency \
        --int8-scale row,read-out --profile-leave-out ;;
    logits-int8-scale)
      for live in rows off; do
        HP_LAB_UNSAFE_APIS=1 c "logits-int8-read-$live" 30 encoder --quant int8 --no-latency --sparsity 0,0.9 \
          --int8-scale read --hp-live $live --save-logits "$out/engine-logits-int8-read-$live.json"
      done ;;
    cold)
      c cold 180 "${enc[@]}" --reps 10 --no-latency --batch 32 --seq 128 --profile --profile-dispatches \
        --profile-prefix --profile-pairs --profile-cold 256 ;;
    prefetch)
      c prefetch 90 "${enc[@]}" --batch 32 --seq 128 --profile --profile-dispatches --cls-tail auto,auto+prefetch,auto
      c prefetch-b1 60 "${enc[@]}" --batch 1 --seq 128 --cls-tail auto,auto+prefetch,auto ;;
    logits-prefetch)
      c logits-prefetch 40 encoder --no-latency --sparsity 0,0.5,0.9 --cls-tail auto+prefetch \
        --save-logits "$out/engine-logits-prefetch.json" ;;
    *)
      echo "confirm-h200: unknown step $s" >&2
      failed=1 ;;
  esac
done
exit $failed
