#!/usr/bin/env python3
"""Final corpus: the writer's labels, with every disagreement of the second labeller
decided by the resolver; duplicate groups and traps as resolved. Writes
<corpus>/<batch>.jsonl and prints agreement figures."""
import json, glob, os, collections
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIELDS = ["id", "workspace", "kind", "product", "lang", "text", "sentiment", "urgency", "category", "theme",
          "dup_group", "trap_of", "tags", "note"]
stats = collections.Counter()
for f in sorted(glob.glob(os.path.join(ROOT, "writer", "*.jsonl"))):
    b = os.path.basename(f)[:-6]
    items = [json.loads(l) for l in open(f) if l.strip()]
    labs = {}
    if os.path.exists(os.path.join(ROOT, "second-labeller", f"{b}.jsonl")):
        labs = {json.loads(l)["id"]: json.loads(l) for l in open(os.path.join(ROOT, "second-labeller", f"{b}.jsonl")) if l.strip()}
    res = {}
    if os.path.exists(os.path.join(ROOT, "resolved", f"{b}.json")):
        res = json.load(open(os.path.join(ROOT, "resolved", f"{b}.json")))
    rl = res.get("labels", {})
    drop = {i for g in res.get("groups", {}).values() for i in g.get("drop", [])}
    untrap = {t for t, v in res.get("traps", {}).items() if not v.get("not_a_duplicate", True)}
    out = []
    for it in items:
        o = {k: it[k] for k in FIELDS}
        l = labs.get(it["id"])
        for fld in ("sentiment", "urgency", "category"):
            if l is None:
                stats["unchecked"] += 1
                continue
            stats[f"{fld}_total"] += 1
            if l[fld] == it[fld]:
                stats[f"{fld}_agree"] += 1
            elif it["id"] in rl and fld in rl[it["id"]]:
                v = rl[it["id"]][fld]
                stats[f"{fld}_to_{'A' if v == it[fld] else 'B' if v == l[fld] else 'other'}"] += 1
                o[fld] = v
            else:
                stats[f"{fld}_unresolved"] += 1
        if it["id"] in drop:
            o["dup_group"] = None
        if it["id"] in untrap:
            o["trap_of"] = None
        o["batch"] = b
        out.append(o)
    # A group left with one member is no group.
    sizes = collections.Counter(o["dup_group"] for o in out if o["dup_group"])
    for o in out:
        if o["dup_group"] and sizes[o["dup_group"]] < 2:
            o["dup_group"] = None
    groups = {o["dup_group"] for o in out if o["dup_group"]}
    for o in out:
        if o["trap_of"] and o["trap_of"] not in groups:
            o["trap_of"] = None
    with open(os.path.join(ROOT, f"{b}.jsonl"), "w") as fo:
        for o in out:
            fo.write(json.dumps(o, ensure_ascii=False) + "\n")
print(json.dumps(dict(sorted(stats.items())), indent=1))
