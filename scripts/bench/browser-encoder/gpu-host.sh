#!/usr/bin/env bash
# On the GPU host, from the project root: assembles the headless Chromium + built benchmark packed
# by pack-gpu-host.sh and carried in two device calls (part-aa copied to /opt/parts by the first;
# the second carries part-ab in .dev-br2, this script and .gpu/debs), then runs the browser
# benchmark: a short probe per GPU flag set (the first that gives a hardware adapter wins), then
# the full run.
#   bash gpu-host.sh OUTDIR   -> OUTDIR/browser.tgz (results, probes, Chromium's log tails)
set -u
final=$1
out=$(mktemp -d)
pack() { tar -C "$out" -czf "$final/browser.tgz" .; }
{
  date -u
  nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv
  nproc
  ls -la /opt/parts .dev-br2
  ldd --version | head -1
} > "$out/machine.txt" 2>&1
if [ ! -s /opt/parts/part-aa ]; then
  echo "part 1 missing: another machine" | tee -a "$out/run.log"
  pack
  exit 0
fi
cat /opt/parts/part-aa .dev-br2/part-ab > /tmp/browser.tar.xz
# The NVIDIA Vulkan ICD needs libglvnd (a fresh host lacks it; .gpu/prelude.sh installs the same debs).
for f in .gpu/debs/*.deb; do dpkg -x "$f" /; done; ldconfig
unpack="import lzma,tarfile; tarfile.open(fileobj=lzma.open('/tmp/browser.tar.xz')).extractall('/opt/br')"
mkdir -p /opt/br && python3 -c "$unpack" || { echo "unpack failed" >> "$out/run.log"; pack; exit 0; }
rm -rf .browser-bench && cp -a /opt/br/bench .browser-bench
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$icd" ] || icd=$(ls /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json 2> /dev/null |
  head -1)
export VK_ICD_FILENAMES=$icd VK_DRIVER_FILES=$icd LD_LIBRARY_PATH=/opt/br/hs/lib HOME=/tmp XDG_RUNTIME_DIR=/tmp
echo "icd=$icd" >> "$out/machine.txt"
ldd /opt/br/hs/chromium-headless-shell | grep "not found" >> "$out/machine.txt"
chrome=/opt/br/hs/chromium-headless-shell
flags=("--use-angle=vulkan --enable-features=Vulkan --disable-vulkan-surface"
  "--enable-features=Vulkan --disable-vulkan-surface"
  "")
probe="batch=1&seq=16&reps=3&warmup=1&spinup=0&ort=0&profile=0"
win=""
for i in 0 1 2; do
  s=$SECONDS
  GPU_FLAGS="${flags[$i]}" PORT=$((8800 + i)) timeout 90 \
    bash .browser-bench/run.sh "$chrome" "$out/probe$i.json" "$probe" 80
  echo "probe$i rc=$? $((SECONDS - s)) s flags='${flags[$i]}'" | tee -a "$out/run.log"
  grep -v -E "dbus|Fontconfig" "$out/probe$i.json.chrome.log" | head -60 > "$out/probe$i.chrome.txt"
  rm -f "$out/probe$i.json.chrome.log"
  pack
  if grep -q '"adapter"' "$out/probe$i.json" 2> /dev/null && ! grep -qi swiftshader "$out/probe$i.json"; then
    win=$i
    break
  fi
done
if [ -n "$win" ]; then
  s=$SECONDS
  GPU_FLAGS="${flags[$win]}" PORT=8810 bash .browser-bench/run.sh "$chrome" "$out/browser.json" \
    "${QUERY:-batch=1,32&seq=64,128&reps=30&warmup=3&spinup=1500&ort=1&profile=1}" 300
  echo "full rc=$? $((SECONDS - s)) s" | tee -a "$out/run.log"
  grep -v -E "dbus|Fontconfig" "$out/browser.json.chrome.log" | tail -80 > "$out/browser.chrome.txt"
  rm -f "$out/browser.json.chrome.log"
fi
pack
