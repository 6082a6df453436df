#!/usr/bin/env bash
# The lip-sync check and ablation table of issue 5 (paper table 1): trains the quick preset in
# five variants on DATA and evaluates each on a held-out recording of the same person.
#
#   scripts/ablation.sh DATA HELDOUT OUT [extra train flags...]
#
# Variants: full; w/o A (--audio concat); w/o D (--dynamism off); w/o A&D; control (--zero-audio:
# the same schedule, deaf). Writes OUT/<variant>/ (models), OUT/<variant>.json (eval --json) and
# OUT/table.md. A variant whose model is already finished is not retrained (train --resume is a no-op).
set -euo pipefail
if [ $# -lt 3 ]; then echo "usage: $0 DATA HELDOUT OUT [extra train flags...]" >&2; exit 64; fi
data=$1 heldout=$2 out=$3; shift 3
bin=${AUDIOPLANE_BIN:-$(cd "$(dirname "$0")/.." && pwd)/.build/release/audioplane}
mkdir -p "$out"
variants=("full:" "wo-A:--audio concat" "wo-D:--dynamism off" "wo-AD:--audio concat --dynamism off" "control:--zero-audio")
for entry in "${variants[@]}"; do
  name=${entry%%:*} flags=${entry#*:}
  if [ -f "$out/$name/weights.safetensors" ]; then
    "$bin" train --data "$data" --out "$out/$name" --resume --quiet   # its config.json holds the flags
  else
    # shellcheck disable=SC2086
    "$bin" train --data "$data" --out "$out/$name" --quiet $flags "$@"
  fi
  "$bin" eval --model "$out/$name" --data "$heldout" --json --quiet > "$out/$name.json"
  echo "$name: $(cat "$out/$name.json")" >&2
done
python3 - "$out" <<'PY'
import json, sys, os
out = sys.argv[1]
rows = [("full", "Audio-Plane (full)"), ("wo-A", "w/o A (audio concatenated)"), ("wo-D", "w/o D (no dynamism)"),
        ("wo-AD", "w/o A & D"), ("control", "control (audio zeroed)")]
lines = ["| variant | PSNR ↑ | SSIM ↑ | LPIPS ↓ | mouth PSNR ↑ | mouth SSIM ↑ |", "|---|---|---|---|---|---|"]
for key, label in rows:
    r = json.load(open(os.path.join(out, key + ".json")))
    f = lambda v, d=2: "n/a" if v is None else (v if isinstance(v, str) else f"{v:.{d}f}")
    lines.append(f"| {label} | {f(r['psnr'])} | {f(r['ssim'], 4)} | {f(r.get('lpips'), 4)} | {f(r.get('mouthPSNR'))} | {f(r.get('mouthSSIM'), 4)} |")
open(os.path.join(out, "table.md"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
