#!/bin/sh
# Fetches the Pang & Lee movie-review corpora shipped in Debian's python3-pattern package
# (its test corpora) into the git-ignored .data/ folder, then writes the seeded
# train/dev/test split to public/data/. Deterministic: same package, same split.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
pkg="$root/.data/pattern"
mkdir -p "$pkg"
cd "$pkg"
if [ ! -f deb/usr/share/doc/python3-pattern/test/corpora/polarity-en-pang\&lee2.csv ]; then
  rm -f python3-pattern_*.deb
  apt-get download python3-pattern
  dpkg-deb -x python3-pattern_*.deb deb
fi
node "$root/scripts/data/split.mjs" "$pkg/deb/usr/share/doc/python3-pattern/test/corpora" "$root/public/data"
# The full reviews cut into sentences, for calibration experiments only (hp-lab --calib-data).
corpora="$pkg/deb/usr/share/doc/python3-pattern/test/corpora"
node "$root/scripts/data/review-sentences.mjs" "$corpora" "$root/.data/calib/reviews.jsonl" "$root/public/data"
