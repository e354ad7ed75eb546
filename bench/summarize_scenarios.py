#!/usr/bin/env python3
"""Prints the table of a bench/scenarios.sh run (markdown) from its folder:
one row per pw-loadgen report, then the ratios and the recovery figures."""
import json
import os
import sys


def load(folder, label):
    path = os.path.join(folder, label + ".json")
    if not os.path.exists(path):
        return None
    try:
        return json.load(open(path))
    except ValueError:
        return None


def fmt(v, digits=0):
    if v is None:
        return "–"
    return f"{v:,.{digits}f}" if isinstance(v, (int, float)) else str(v)


def row(label, r):
    cpu = (r.get("cpu_s") or {}).get("server")
    done = r.get("completed") or 0
    us = cpu / done * 1e6 if cpu and done else None
    post, e2e = r.get("post_ms") or {}, r.get("e2e_ms") or {}
    rss = (r.get("peak_rss_mb") or {}).get("server")
    lag = r.get("commit_to_socket_ms") or {}
    checks = "ok" if r.get("ok") else f"FAILED ({r.get('outcome')}, lost {r.get('lost')})"
    return (f"| {label} | {fmt(r.get('completed_per_s_steady_p10_p90'))} | {fmt(r.get('completed_per_s'))} | "
            f"{fmt(post.get('p50'), 1)} / {fmt(post.get('p99'), 1)} | {fmt(e2e.get('p50'), 1)} / {fmt(e2e.get('p99'), 1)} | "
            f"{fmt(lag.get('p50_ms'), 2)} / {fmt(lag.get('p99_ms'), 2)} | {fmt(us)} | {fmt(rss, 1)} | {checks} |")


def main():
    folder = sys.argv[1]
    notes = {}
    if os.path.exists(os.path.join(folder, "notes.json")):
        notes = json.load(open(os.path.join(folder, "notes.json")))
    labels = sorted(f[:-5] for f in os.listdir(folder) if f.endswith(".json") and f != "notes.json")
    order = ["base", "sync", "default", "prestored", "fairness-quiet-alone", "fairness-quiet-beside-noisy", "fairness-noisy"]
    labels = [l for l in order if l in labels] + [l for l in labels if l not in order and not l.endswith("-fill")]
    print(f"# Scenarios: {os.path.basename(folder)}\n")
    print("| run | items/s steady | items/s whole | POST p50 / p99 ms | E2E p50 / p99 ms | commit→socket p50 / p99 ms | "
          "server CPU µs/item | peak RSS MB | checks |")
    print("|---|---|---|---|---|---|---|---|---|")
    reports = {}
    for l in labels:
        r = load(folder, l)
        if r is None:
            print(f"| {l} | no report | | | | | | | |")
            continue
        reports[l] = r
        print(row(l, r))

    def steady(l):
        return (reports.get(l) or {}).get("completed_per_s_steady_p10_p90")

    print()
    base = steady("base")
    for l, what in (("sync", "sync = true vs base"), ("prestored", "with items already stored vs base")):
        if base and steady(l):
            print(f"- {what}: {steady(l):,.0f} / {base:,.0f} items/s = **{steady(l) / base:.2f}×**")
    if "prestored_restart_ready_ms" in notes:
        print(f"- prestored: restart to ready {notes['prestored_restart_ready_ms']} ms with "
              f"{notes.get('prestored_data_mb', '?')} MB of data; filling took {notes.get('prestored_drain_ms', '?')} ms "
              "after the last POST to finish")
    if "recovery_ready_ms" in notes:
        print(f"- recovery after kill -9: ready in **{notes['recovery_ready_ms']} ms** (process start → /readyz 200); "
              f"every unfinished item finished {notes.get('recovery_all_finished_ms')} ms after the start; "
              f"log: `{notes.get('recovery_log', '')}`; queue after: `{json.dumps(notes.get('recovery_queue_after'))}`; "
              f"peak RSS {notes.get('recovery_peak_rss_mb')} MB")
    a, b = reports.get("fairness-quiet-alone"), reports.get("fairness-quiet-beside-noisy")
    if a and b:
        n = reports.get("fairness-noisy") or {}
        print(f"- fairness: quiet workspaces' E2E p99 {a['e2e_ms']['p99']} ms alone, {b['e2e_ms']['p99']} ms beside "
              f"the noisy one ({n.get('completed_per_s_steady_p10_p90')} items/s steady in its one workspace)")


if __name__ == "__main__":
    main()
