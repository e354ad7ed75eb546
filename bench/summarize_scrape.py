#!/usr/bin/env python3
"""The table of bench/scrape.sh: medians (min-max) of quiet and watched runs
and their ratio, at saturation and paced, and what the scrapes cost.
  bench/summarize_scrape.py bench/results/scrape-<stamp>"""
import glob, json, os, statistics, sys
d = sys.argv[1]
def load(pattern):
    out = []
    for f in sorted(glob.glob(os.path.join(d, pattern))):
        if pattern.endswith("r*.json") and f.endswith(".scraper.json"): continue
        try: out.append(json.load(open(f)))
        except Exception: pass
    return out
def med(v): return statistics.median(v) if v else float("nan")
def rng(v): return f"{min(v):.2f}-{max(v):.2f}" if v else "-"
rows = [("completed items/s, steady (p10-p90)", lambda r: r["completed_per_s_steady_p10_p90"]),
        ("CPU µs per item (server)", lambda r: r["cpu_s"]["server"] / r["completed"] * 1e6),
        ("POST p50 ms", lambda r: r["post_ms"]["p50"]), ("POST p99 ms", lambda r: r["post_ms"]["p99"]),
        ("E2E p50 ms", lambda r: r["e2e_ms"]["p50"]), ("E2E p99 ms", lambda r: r["e2e_ms"]["p99"])]
for mode, title in (("sat", "Saturation"), ("paced", "Paced 1,000 items/s")):
    quiet, watched = load(f"quiet-{mode}-r*.json"), load(f"watched-{mode}-r*.json")
    checks = all(r.get("ok") for r in quiet + watched)
    print(f"#### {title}: runs quiet {len(quiet)}, watched {len(watched)}; every loadgen check passed: {checks}\n")
    print("| measure | quiet | watched (1 scrape/s + stats socket) | watched / quiet |\n| --- | --- | --- | --- |")
    for name, f in rows:
        q = [f(r) for r in quiet]; w = [f(r) for r in watched]
        print(f"| {name} | {med(q):.2f} ({rng(q)}) | {med(w):.2f} ({rng(w)}) | {med(w) / med(q):.3f}x |")
    scr = load(f"watched-{mode}-r*.scraper.json")
    if scr:
        m = [s["scrapes"]["/metrics"] for s in scr]; a = [s["scrapes"]["/api/v1/admin/actors"] for s in scr]
        print(f"\nScrapes during the watched runs: /metrics {sum(x['n'] for x in m)} (p50 {med([x['p50_ms'] for x in m]):.2f} ms, "
              f"p99 {med([x['p99_ms'] for x in m]):.2f} ms, {med([x['bytes'] for x in m]) / 1024:.0f} KiB); "
              f"/api/v1/admin/actors {sum(x['n'] for x in a)} (p50 {med([x['p50_ms'] for x in a]):.2f} ms, "
              f"{med([x['bytes'] for x in a]) / 1024:.1f} KiB); stats frames received {sum(s['stats_frames'] for s in scr)}; "
              f"errors {sum(s['errors'] for s in scr)}.\n")

cost = os.path.join(d, "cost.json")
if os.path.exists(cost):
    c = json.load(open(cost))
    print("#### One scrape, apart from the load (500 back to back on a node that ran 5,000 items)\n")
    print("| route | server CPU per scrape | wall per scrape | size |\n| --- | --- | --- | --- |")
    for path, v in c.items():
        print(f"| `{path}` | {v['server_cpu_us_per_scrape']} µs | {v['wall_ms_per_scrape']} ms | {v['bytes'] / 1024:.1f} KiB |")
