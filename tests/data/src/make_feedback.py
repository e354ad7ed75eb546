#!/usr/bin/env python3
"""Writes feedback-tune.jsonl and feedback-heldout.jsonl from the hand-labelled
lists in this folder, and checks them (labels, groups, traps). Run it after
editing a list: python3 tests/data/src/make_feedback.py"""
import collections, importlib.util, json, os, sys

HERE = os.path.dirname(os.path.abspath(__file__))
SENT = {"positive", "neutral", "negative"}
URG = {"low", "medium", "high", "critical"}
CAT = {"bug", "feature_request", "question", "praise", "complaint", "billing"}
WS = {"saas", "shop", "game", "devtool", "bank"}
PRODUCT = {"saas": "project-management SaaS", "shop": "online shop", "game": "mobile game",
           "devtool": "developer tool", "bank": "banking app"}

def load(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, name + ".py"))
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
    return mod.ITEMS

def build(items, prefix):
    out, errors = [], []
    for i, t in enumerate(items, 1):
        ws, lang, text, s, u, c, theme, group, trap, note = t
        rid = f"{prefix}{i:03d}"
        for ok, what in ((ws in WS, "workspace"), (s in SENT, "sentiment"), (u in URG, "urgency"), (c in CAT, "category"),
                         (lang in {"en", "es", "de"}, "lang"), (bool(text.strip()), "text")):
            if not ok: errors.append(f"{rid}: bad {what}")
        out.append({"id": rid, "workspace": ws, "product": PRODUCT[ws], "lang": lang, "text": text, "sentiment": s,
                    "urgency": u, "category": c, "theme": theme, "dup_group": group, "trap_of": trap, "note": note})
    groups = collections.defaultdict(list)
    for r in out:
        if r["dup_group"]: groups[r["dup_group"]].append(r)
    for g, members in groups.items():
        if len(members) < 2: errors.append(f"group {g}: one member")
        if len({m["workspace"] for m in members}) != 1: errors.append(f"group {g}: several workspaces")
    for r in out:
        if r["trap_of"] and (r["trap_of"] not in groups or groups[r["trap_of"]][0]["workspace"] != r["workspace"]):
            errors.append(f"{r['id']}: trap_of names no group of its workspace")
    return out, groups, errors

def main():
    report, failed = [], False
    for name, parts, prefix in (("tune", ["tune_a", "tune_b"], "t"), ("heldout", ["heldout", "heldout_b"], "h")):
        items = [t for p in parts for t in load(p)]
        rows, groups, errors = build(items, prefix)
        for e in errors: print(f"{name}: {e}", file=sys.stderr)
        failed |= bool(errors)
        with open(os.path.join(HERE, "..", f"feedback-{name}.jsonl"), "w") as f:
            for r in rows: f.write(json.dumps(r, ensure_ascii=False) + "\n")
        count = lambda k: dict(sorted(collections.Counter(r[k] for r in rows).items()))
        report.append(f"{name}: {len(rows)} items, {len(groups)} duplicate groups, "
                      f"{sum(1 for r in rows if r['trap_of'])} traps\n"
                      f"  sentiment {count('sentiment')}\n  urgency {count('urgency')}\n"
                      f"  category {count('category')}\n  lang {count('lang')}\n  workspace {count('workspace')}")
    print("\n".join(report))
    return 1 if failed else 0

if __name__ == "__main__":
    sys.exit(main())
