#!/usr/bin/env bash
# Installs the system packages AudioPlane needs (Debian 12), only those that are missing.
# Safe to run repeatedly; needs root (or sudo) only when something is missing.
set -euo pipefail
packages=(libpng-dev pkg-config python3-numpy ffmpeg libfftw3-dev libespeak-ng-dev espeak-ng-data libturbojpeg0-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# Optional LPIPS weights (perceptual loss/metric) into the user cache; never fails setup.
"$(dirname "$0")/install-lpips-weights.sh" || true
