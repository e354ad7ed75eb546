#!/usr/bin/env bash
# Honest development figures for the built-in AI without the held-out split:
# a 4-fold cross-validation over the training batches, end to end. For each
# fold, pw_ai_train fits every model (and picks its thresholds) without that
# fold's batches, and pw_ai_quality runs the real stages with that model file
# over the fold's batches. Prints each fold's summary and the mean.
#
#   scripts/ai-cv.sh [CORPUS_DIR] [BUILD_DIR]
# KEEP=DIR keeps the fold models there (to try stage options on them).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
corpus="${1:-$root/tests/data/corpus}"
build="${2:-$root/build}"
heldout="b-health,d-devtool,f-delivery,h-telecom"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
[ -n "${KEEP:-}" ] && mkdir -p "$KEEP"
mapfile -t batches < <(ls "$corpus"/*.jsonl | xargs -n1 basename | sed 's/\.jsonl$//' | sort |
  grep -vxF -e "${heldout//,/$'\n'}" -e "")
for k in 0 1 2 3; do
  fold=()
  for i in "${!batches[@]}"; do [ $((i % 4)) -eq "$k" ] && fold+=("${batches[$i]}"); done
  list="$(IFS=,; echo "${fold[*]}")"
  "$build/tools/pw_ai_train" --corpus "$corpus" --heldout "$heldout,$list" --out "$tmp/fold$k.model" 2>"$tmp/train$k.log"
  "$build/bench/pw_ai_quality" "$corpus" --batches "$list" --models "$tmp/fold$k.model" --json > "$tmp/fold$k.json"
  [ -n "${KEEP:-}" ] && cp "$tmp/fold$k.model" "$KEEP/" && echo "$list" > "$KEEP/fold$k.batches"
  echo "fold $k ($list)"
done
python3 - "$tmp" <<'PY'
import json, sys, glob
rows = []
for f in sorted(glob.glob(sys.argv[1] + "/fold*.json")):
    o = json.load(open(f))
    d = o["duplicate"]
    rows.append({"sentiment_f1": o["sentiment"]["macro_f1"], "category": o["category"]["accuracy"],
                 "urgency": o["urgency"]["accuracy"], "critical_recall": o["urgency"]["critical_recall"],
                 "critical_precision": o["urgency"]["critical_precision"], "dup_p": d["precision"],
                 "dup_r": d["recall"], "dup_f1": d["f1"], "traps_paired": d["traps_paired"] / max(1, d["traps"]),
                 "purity": o["theme"]["purity"], "themes": o["theme"]["themes"]})
keys = list(rows[0])
print("%-6s" % "fold" + "".join("%10s" % k[:10] for k in keys))
for i, r in enumerate(rows):
    print("%-6d" % i + "".join("%10.3f" % r[k] for k in keys))
print("%-6s" % "mean" + "".join("%10.3f" % (sum(r[k] for r in rows) / len(rows)) for k in keys))
PY
