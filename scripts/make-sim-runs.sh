#!/usr/bin/env bash
# The simulator runs behind the classifier's fit (stage 3) and its simulated check (docs/classifier.md):
# lobby, office, queue and their "-gaen" copies (every group with `app: gaen`), one run per seed.
#   bash scripts/make-sim-runs.sh OUT_DIR FIRST_SEED LAST_SEED     # training: 2 6; check: 21 30
# Writes OUT_DIR/<scenario>-s<seed>/ (a `sim run --out` folder each) and prints the --sim arguments of
# fit:classifier / eval:matrix (each scenario's seeds after one name, pooled).
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 OUT_DIR FIRST_SEED LAST_SEED" >&2; exit 2; }
out=$1 first=$2 last=$3
cd "$(dirname "$0")/.."
mkdir -p "$out"
for s in lobby office queue; do
  # the built-in scenario with app: gaen after each group's name
  node bin/bluezone.js sim show "$s" |
    awk '/^groups:/{g=1} /^[a-z]/ && !/^groups:/{g=0} {print} g && /^  - name:/{print "    app: gaen"}' |
    sed "s/^name: $s\$/name: $s-gaen/" > "$out/$s-gaen.yaml"
done
args=""
for s in lobby office queue lobby-gaen office-gaen queue-gaen; do
  f=$s
  case $s in *-gaen) f=$out/$s.yaml ;; esac
  dirs=""
  for seed in $(seq "$first" "$last"); do
    d=$out/$s-s$seed
    if [ ! -f "$d/contacts_truth.csv" ]; then
      node bin/bluezone.js sim run "$f" --seed "$seed" --out "$d" > "$d.log" 2>&1 || { cat "$d.log" >&2; exit 1; }
      rm -f "$d.log"
    fi
    dirs=${dirs:+$dirs,}$d
  done
  args="$args --sim $s=$dirs"
done
echo "$args"
