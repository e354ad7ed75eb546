#!/usr/bin/env bash
# The hostile-client benchmark side by side with its control: ROUNDS times
# (default 3), one bench/hostile.sh run with every attack off (the control:
# the ordinary client alone over the same 70 s, the store growing the same
# way) and one with all of them (the defaults), alternately. Prints each
# run's ordinary POST p99 (baseline phase, then the attack phase) and the
# medians: "within 2x of its unloaded value" compares the attack phase with
# the control's same phase, and with the run's own baseline.
#
#   bench/hostile-series.sh            # ~10 minutes
#   ROUNDS=5 bench/hostile-series.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
ROUNDS="${ROUNDS:-3}"
table="$(mktemp)"
trap 'rm -f "$table"' EXIT
off="IDLE=0 SLOW=0 SLOWLORIS=0 FLOOD=0 FRAMES=0 EXCESS=0"
for r in $(seq 1 "$ROUNDS"); do
  for kind in control attack; do
    echo "hostile-series: round $r/$ROUNDS, $kind" >&2
    if [ "$kind" = control ]; then out="$(env $off "$root/bench/hostile.sh" 2>&1)"; else out="$("$root/bench/hostile.sh" 2>&1)"; fi
    line="$(grep "ordinary POST p50/p99" <<<"$out")" || { echo "$out" >&2; exit 1; }
    # "ordinary POST p50/p99 ms: baseline P50 / P99, under attack P50 / P99 (ratio R)"
    read -r base_p99 attack_p99 < <(sed -E 's|.*baseline [^ ]+ / ([^,]+), under attack [^ ]+ / ([^ ]+) .*|\1 \2|' <<<"$line")
    rss="$(grep "server RSS MB" <<<"$out" | sed -E 's|.*under attack max ([^;]+);.*|\1|')"
    results="$(grep "^results:" <<<"$out" | cut -d' ' -f2)"
    printf '%s %s %s %s %s %s\n' "$r" "$kind" "$base_p99" "$attack_p99" "$rss" "$results" >>"$table"
  done
done
awk '
  function median(a, n,   i, j, t) {
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  {
    printf "round %s %-7s p99 ms: first 20 s %7.2f, 30-70 s %7.2f (x%.2f)  RSS max %6.1f MB  %s\n", $1, $2, $3, $4, $4 / $3, $5, $6
    if ($2 == "control") { cb[++nc] = $3; ca[nc] = $4 } else { ab[++na] = $3; aa[na] = $4; ar[na] = $4 / $3 }
  }
  END {
    mcb = median(cb, nc); mca = median(ca, nc); mab = median(ab, na); maa = median(aa, na); mar = median(ar, na)
    printf "median p99 ms: control %.2f -> %.2f; attack runs %.2f -> %.2f\n", mcb, mca, mab, maa
    printf "attack phase vs the control same phase: x%.2f; vs its own baseline (median of runs): x%.2f\n", maa / mca, mar
  }' "$table"
