#!/usr/bin/env bash
# The whole GPU benchmark in one command, on a host with an NVIDIA GPU, CUDA and PyTorch but no Node.js and no network
# (the device machine: scripts/gpu/README.md gives the exact call), from the repository root, with .gpu-pack/ made by
# scripts/gpu/pack.sh beside it and $OUT the folder whose files come back:
#
#   bash scripts/gpu/run.sh               # the H200: full sizes, under 8 minutes
#   bash scripts/gpu/run.sh --rehearsal   # here: SwiftShader, tiny sizes, PyTorch on the CPU if it imports
#
# Stages, each under its own `timeout` and all under one overall budget (ALEXNET_GPU_SECONDS, default 450 s), so a
# slow stage cannot eat the rest: unpack -> Vulkan -> adapter check -> PyTorch -> WebGPU (this project's kernels) ->
# WebGPU (stock kernels) -> one training epoch end to end -> report. Writes $OUT/log.txt, $OUT/adapter.json,
# $OUT/gpu-bench.json (every figure) and $OUT/gpu-bench.md (the table, the GPU, its driver, the date).
# ALEXNET_GPU_STAGES picks stages (default pytorch,webgpu,stock,epoch); ALEXNET_GPU_BENCH_ARGS / _TRAIN_ARGS add flags.
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${OUT:?run.sh writes its figures to \$OUT: set it (OUT=\$(mktemp -d) here)}"
mode=device
budget=${ALEXNET_GPU_SECONDS:-450}
[ "${1:-}" = --rehearsal ] && mode=rehearsal
[ $mode = rehearsal ] && budget=${ALEXNET_GPU_SECONDS:-900}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/log.txt") 2>&1
start=$(date +%s)
elapsed() { echo $(($(date +%s) - start)); }
log() { echo "[+$(elapsed)s] $*" >&2; }

# fit_box SECONDS: SECONDS, or what the overall budget has left (10 s kept for the report) where that is less.
fit_box() {
  local left=$((budget - 10 - $(elapsed)))
  echo $(($1 < left ? $1 : left))
}

# stage NAME SECONDS COMMAND...: runs COMMAND under `timeout`, never past the overall budget (fit_box); a failure or
# a time-out is logged and the run goes on.
stage() {
  local name=$1 box
  box=$(fit_box "$2")
  shift 2
  if [ "$box" -lt 5 ]; then
    log "$name: skipped, the overall budget of ${budget}s is spent"
    return 1
  fi
  log "$name: start (time box ${box}s)"
  timeout -k 5 "$box" "$@"
  local rc=$?
  if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then log "$name: TIMED OUT after ${box}s"; else log "$name: exit $rc"; fi
  return $rc
}

PACK=.gpu-pack
[ -f "$PACK/node.xz" ] || { log "no $PACK/node.xz: run scripts/gpu/pack.sh first and name .gpu-pack in carry"; exit 1; }
work=$(mktemp -d /tmp/alexnet-gpu.XXXXXX)
log "mode $mode; $(head -1 "$PACK/MANIFEST.txt")"
unxz_to() { xz -dc "$1" >"$2" 2>/dev/null || python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; }
unxz_to "$PACK/node.xz" "$work/node" && chmod +x "$work/node"
unxz_to "$PACK/app.tar.xz" "$work/app.tar" && tar -C "$work" -xf "$work/app.tar" && rm "$work/app.tar"
node=$work/node
app=$work/app
"$node" --version >/dev/null || { log "the packed node does not run here"; exit 1; }
log "unpacked node $("$node" --version) and the app into $work"

# Libraries: libjpeg62 (the JPEG addon) always into a private folder; the Vulkan loader and GL dispatch libraries
# into / on the device as its README says (dpkg -x; ldconfig), into the private folder in a rehearsal.
sys=$work/sys
for deb in "$PACK"/debs/*.deb; do
  case "$(basename "$deb")" in
  libjpeg62-turbo_*) dpkg -x "$deb" "$sys" ;;
  *) if [ $mode = device ]; then dpkg -x "$deb" /; else dpkg -x "$deb" "$sys"; fi ;;
  esac
done
[ $mode = device ] && ldconfig
export LD_LIBRARY_PATH=$sys/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
for dir in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
  [ -d "$dir" ] && LD_LIBRARY_PATH=$LD_LIBRARY_PATH:$dir
done
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
if [ $mode = rehearsal ]; then
  export VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json
else
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
    if [ -f "$icd" ]; then
      export VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd
      break
    fi
  done
  egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  [ -f "$egl" ] && export __EGL_VENDOR_LIBRARY_FILENAMES=$egl
fi
log "Vulkan ICD: ${VK_ICD_FILENAMES:-none found}; loader: $(ls "$sys"/usr/lib/x86_64-linux-gnu/libvulkan.so.1 /usr/lib/x86_64-linux-gnu/libvulkan.so.1 2>/dev/null | head -1)"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used,utilization.gpu,clocks.sm --format=csv
else
  log "nvidia-smi: absent (no NVIDIA GPU here): memory and busy share from nvidia-smi are not measured"
fi

stages=${ALEXNET_GPU_STAGES:-pytorch,webgpu,stock,epoch}
# The epoch stage's synthetic set, written now on the CPU while the adapter check and PyTorch use the GPU (only when
# the epoch stage is to run: it would take CPU time from the other stages for nothing).
synth_pid=
if [ $mode = rehearsal ]; then synth_args=(--classes 2 --train-per-class 1 --min-side 64 --max-side 96); else
  synth_args=(--classes 8 --train-per-class 256 --min-side 256 --max-side 500); fi
case ",$stages," in *,epoch,*)
  timeout 200 "$node" "$app/bin.js" data synth --out "$work/synth" --val-per-class 1 "${synth_args[@]}" >"$work/synth.log" 2>&1 &
  synth_pid=$!
  synth_start=$(elapsed)
  ;;
esac

allow=()
[ $mode = rehearsal ] && allow=(--allow-software)
stage adapter 60 "$node" "$app/probe.js" "${allow[@]}" >"$OUT/adapter.json"
probe=$?
cat "$OUT/adapter.json"
if [ $probe -ne 0 ]; then
  log "no usable WebGPU adapter (probe exit $probe: 3 = software only, 1 = none): the WebGPU stages are skipped"
  stages=$(echo "$stages" | tr ',' '\n' | grep -x pytorch | paste -sd, -)
fi

bench=("$node" "$app/bench/gpu.mjs" --cli "$app/bin.js" --results "$OUT/gpu-bench.json" "${allow[@]}")
bench+=(--no-table --label "$(head -1 "$PACK/MANIFEST.txt" | sed 's/^alexnet GPU pack: //')")
bench+=("--bench-args=${ALEXNET_GPU_BENCH_ARGS:-}" "--train-args=${ALEXNET_GPU_TRAIN_ARGS:-}")
if [ $mode = rehearsal ]; then
  python=${ALEXNET_BENCH_PYTHON:-/usr/bin/python3}
  bench+=(--models alexnet_v2 --batch-sizes 1 --image-size 64 --adaptive-pool --steps 1 --python "$python")
  bench+=(--pytorch-device cpu --pytorch-steps 1 --epoch-batch 2 --epoch-epochs 1 --epoch-workers 1)
  boxes=(pytorch:60 webgpu:240 stock:240 epoch:240)
  per_stage=1 # one measurement a stage: SwiftShader needs minutes for it
else
  bench+=(--python python3)
  boxes=(pytorch:75 webgpu:130 stock:110 epoch:100)
  per_stage=4 # V2 and V1 at batch 128 and 256
fi
# ALEXNET_GPU_BOXES=stage:seconds,... overrides time boxes (a rehearsal of the time-out path, say).
IFS=, read -ra extra <<<"${ALEXNET_GPU_BOXES:-}"
boxes+=("${extra[@]}")
declare -A box_of
order=()
for entry in "${boxes[@]}"; do
  [ -z "$entry" ] && continue
  [ -z "${box_of[${entry%%:*}]:-}" ] && order+=("${entry%%:*}")
  box_of[${entry%%:*}]=${entry##*:}
done
for name in "${order[@]}"; do
  case ",$stages," in *",$name,"*) ;; *) continue ;; esac
  if [ "$name" = epoch ]; then
    wait "$synth_pid"
    log "data synth (started at +${synth_start}s): exit $?: $(tail -1 "$work/synth.log")"
    synth_pid=
    bench+=(--epoch-data "$work/synth")
  fi
  # The box as the overall budget cuts it, told to the stage too: each measurement gets its share of it, and the
  # stage's own clock stops early, recording what it measured and what it cut off, before `timeout` has to.
  box=$(fit_box "${box_of[$name]}")
  stage "$name" "$box" "${bench[@]}" --stages "$name" --stage-seconds $((box - 5)) --measure-seconds $(((box - 5) / per_stage))
done

log "report"
timeout 20 "${bench[@]}" --report-only --markdown "$OUT/gpu-bench.md"
cat "$OUT/gpu-bench.md"
log "done in $(elapsed)s; figures in $OUT/gpu-bench.json and $OUT/gpu-bench.md"
[ -n "$synth_pid" ] && kill "$synth_pid" 2>/dev/null # not waited for: the epoch stage did not run
rm -rf "$work"
