#!/usr/bin/env python3
"""Prints the side-by-side table (markdown) from the load generator's JSON
reports in a results folder: medians (min-max) per system and phase, and the
ratio Pipewright / anchor. Usage: bench/summarize.py bench/results/side-by-side-...

Report files are named <system>-<phase>-r<round>.json (system: anchor,
pipewright, or default = Pipewright on its default configuration; phase: sat
or paced), as bench/side-by-side.sh writes them."""
import json
import os
import re
import statistics
import sys


def load(folder):
    runs = {}
    for name in sorted(os.listdir(folder)):
        m = re.fullmatch(r"(anchor|pipewright|default)-(sat|paced)-r(\d+)\.json", name)
        if not m:
            continue
        with open(os.path.join(folder, name)) as f:
            try:
                r = json.load(f)
            except json.JSONDecodeError:
                r = {"ok": False}
        runs.setdefault((m.group(1), m.group(2)), []).append(r)
    return runs


def cpu_us_per_item(r):
    cpu = r.get("cpu_s") or {}
    used = sum(v for k, v in cpu.items() if k in ("server", "redis", "worker"))
    done = r.get("completed") or 0
    return used / done * 1e6 if done else None


def peak_rss(r):
    rss = r.get("peak_rss_mb") or {}
    return sum(rss.values()) if rss else None


MEASURES = [
    # (label, getter, better: "high" or "low", decimals)
    ("completed items/s, steady (p10-p90)", lambda r: r.get("completed_per_s_steady_p10_p90"), "high", 0),
    ("completed items/s, whole run", lambda r: r.get("completed_per_s"), "high", 0),
    ("CPU us per item (server + redis)", cpu_us_per_item, "low", 0),
    ("POST p50 ms", lambda r: (r.get("post_ms") or {}).get("p50"), "low", 2),
    ("POST p99 ms", lambda r: (r.get("post_ms") or {}).get("p99"), "low", 2),
    ("E2E p50 ms", lambda r: (r.get("e2e_ms") or {}).get("p50"), "low", 2),
    ("E2E p99 ms", lambda r: (r.get("e2e_ms") or {}).get("p99"), "low", 2),
    ("peak RSS MB (server + redis)", peak_rss, "low", 1),
    ("load generator CPU s", lambda r: r.get("loadgen_cpu_s"), "low", 2),
    ("commit -> socket p50 ms (node's histogram)", lambda r: (r.get("commit_to_socket_ms") or {}).get("p50_ms"), "low", 3),
    ("commit -> socket p99 ms (node's histogram)", lambda r: (r.get("commit_to_socket_ms") or {}).get("p99_ms"), "low", 3),
]


def fmt(values, decimals):
    values = [v for v in values if isinstance(v, (int, float))]
    if not values:
        return "-", None
    med = statistics.median(values)
    s = f"{med:.{decimals}f}"
    if len(values) > 1:
        s += f" ({min(values):.{decimals}f}-{max(values):.{decimals}f})"
    return s, med


def calib_line(folder):
    ms = []
    for name in sorted(os.listdir(folder)):
        if name.startswith("calib-") and name.endswith(".json"):
            try:
                ms.append(json.load(open(os.path.join(folder, name)))["calib_ms"])
            except (ValueError, KeyError):
                pass
    if not ms:
        return None
    return (f"Host speed (anchor's calib.js before each round; 150-320 ms is an idle machine): "
            f"{min(ms):.0f}-{max(ms):.0f} ms over {len(ms)} rounds.\n")


def main():
    folder = sys.argv[1]
    runs = load(folder)
    line = calib_line(folder)
    if line:
        print(line)
    for phase, title in (("sat", "Saturation"), ("paced", "Paced")):
        a, p = runs.get(("anchor", phase), []), runs.get(("pipewright", phase), [])
        if not a and not p:
            continue
        params = (p or a)[0].get("params", {})
        print(f"### {title}: {params.get('users')} users, {params.get('c')} in flight, "
              f"{params.get('warmup')} warmup, {params.get('n')} measured"
              + (f", offered {params.get('rate')}/s" if params.get("rate") else "")
              + f"; runs: anchor {len(a)}, pipewright {len(p)}\n")
        print("| measure | BullMQ anchor | Pipewright | Pipewright / anchor |")
        print("| --- | --- | --- | --- |")
        for label, get, better, dec in MEASURES:
            sa, ma = fmt([get(r) for r in a], dec)
            sp, mp = fmt([get(r) for r in p], dec)
            ratio = "-"
            if ma and mp:
                ratio = f"{mp / ma:.2f}x" if better == "high" else f"{mp / ma:.3f}x ({ma / mp:.1f}x less)"
            print(f"| {label} | {sa} | {sp} | {ratio} |")
        checks = []
        for name, rs in (("anchor", a), ("pipewright", p)):
            bad = [r.get("label", "?") for r in rs if not r.get("ok")]
            lost = sum(r.get("lost", 0) or 0 for r in rs)
            dup = sum(r.get("duplicates", 0) or 0 for r in rs)
            mis = sum(r.get("misdelivered", 0) or 0 for r in rs)
            checks.append(f"{name}: lost {lost}, duplicated {dup}, misdelivered {mis}"
                          + (f", FAILED checks in {', '.join(bad)}" if bad else ", every check passed"))
        print("\n" + "; ".join(checks) + "\n")
    d, a = runs.get(("default", "sat"), []), runs.get(("anchor", "sat"), [])
    if d:
        params = d[0].get("params", {})
        print(f"### Default configuration (built-in AI stages, every stage event) beside the anchor's saturation run: "
              f"{params.get('users')} users, {params.get('c')} in flight, {params.get('n')} measured; runs: {len(d)}\n")
        print("| measure | BullMQ anchor (its 7-stage synthetic DAG) | Pipewright, default config | Pipewright / anchor |")
        print("| --- | --- | --- | --- |")
        for label, get, better, dec in MEASURES:
            sa, ma = fmt([get(r) for r in a], dec)
            sd, md = fmt([get(r) for r in d], dec)
            ratio = "-"
            if ma and md:
                ratio = f"{md / ma:.2f}x" if better == "high" else f"{md / ma:.3f}x ({ma / md:.1f}x less)"
            print(f"| {label} | {sa} | {sd} | {ratio} |")
        lost = sum(r.get("lost", 0) or 0 for r in d)
        bad = [r.get("label", "?") for r in d if not r.get("ok")]
        print(f"\ndefault config: lost {lost}" + (f", FAILED checks in {', '.join(bad)}" if bad else ", every check passed") + "\n")


if __name__ == "__main__":
    main()
