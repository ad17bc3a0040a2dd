#!/usr/bin/env bash
# Runs the browser benchmark in a headless Chromium and writes its result JSON.
#   bash run.sh CHROME OUT.json [QUERY] [TIMEOUT_S]
# from the project root, with this folder built by scripts/bench/build-browser-encoder.mjs (it sits
# beside run.sh). CHROME: a Chromium or chromium-headless-shell binary. Flags: WebGPU's unsafe
# switch (Linux), WebGPU developer features (timestamp queries unquantized: Chromium rounds them to
# 100 us otherwise), no sandbox; GPU_FLAGS adds more (on a GPU host: --enable-features=Vulkan
# --use-angle=vulkan --disable-vulkan-surface, Vulkan without a window surface; SwiftShader here
# needs none and fails with them).
set -u
chrome=$1 out=$2 query=${3:-} limit=${4:-300}
here=$(cd "$(dirname "$0")" && pwd)
port=${PORT:-8791}
rm -f "$out"
python3 "$here/serve.py" "$PWD" "$here" "$out" "$port" &
server=$!
sleep 1
profile=$(mktemp -d)
timeout "$limit" "$chrome" --headless --no-sandbox --enable-unsafe-webgpu --enable-webgpu-developer-features \
  --ignore-gpu-blocklist --disable-crash-reporter --no-first-run --user-data-dir="$profile" \
  ${GPU_FLAGS:-} --remote-debugging-port=0 \
  "http://127.0.0.1:$port/bench/index.html?$query" > "$out.chrome.log" 2>&1 &
browser=$!
# The server exits when the page posts its result.
while kill -0 "$server" 2> /dev/null && kill -0 "$browser" 2> /dev/null; do sleep 1; done
kill "$browser" "$server" 2> /dev/null
wait 2> /dev/null
rm -rf "$profile"
[ -s "$out" ] || { echo "browser-encoder: no result (see $out.chrome.log)" >&2; exit 1; }
echo "browser-encoder: $out"
