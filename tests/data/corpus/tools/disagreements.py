#!/usr/bin/env python3
"""Lists where the second labeller disagrees with the writer, for the resolver.
usage: disagreements.py BATCH..."""
import json, os, sys
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
for b in sys.argv[1:]:
    w = {json.loads(l)["id"]: json.loads(l) for l in open(os.path.join(ROOT, "writer", f"{b}.jsonl")) if l.strip()}
    lab = [json.loads(x) for x in open(os.path.join(ROOT, "second-labeller", f"{b}.jsonl")) if x.strip()]
    out = []
    for o in lab:
        it = w[o["id"]]
        diff = {f: {"A": it[f], "B": o[f]} for f in ("sentiment", "urgency", "category") if it[f] != o[f]}
        if diff:
            out.append({"id": it["id"], "workspace": it["workspace"], "product": it["product"], "lang": it["lang"],
                        "text": it["text"], "disagree": diff, "note_A": it.get("note"), "note_B": o.get("why")})
    dups = json.load(open(os.path.join(ROOT, "second-labeller", f"{b}.dups.json")))
    dd = {"groups": {g: v for g, v in dups.get("groups", {}).items() if not v.get("merge", True) or v.get("drop")},
          "traps": {t: v for t, v in dups.get("traps", {}).items() if not v.get("not_a_duplicate", True)}}
    if dd["groups"] or dd["traps"]:
        members = {}
        for g in dd["groups"]:
            members[g] = [{"id": i, "text": w[i]["text"]} for i in w if w[i]["dup_group"] == g]
        for t, v in dd["traps"].items():
            g = w[t]["trap_of"]
            members[t] = {"trap": {"id": t, "text": w[t]["text"]}, "group": [{"id": i, "text": w[i]["text"]} for i in w if w[i]["dup_group"] == g]}
        dd["texts"] = members
    with open(os.path.join(ROOT, "tools", f"disagree-{b}.json"), "w") as f:
        json.dump({"labels": out, "duplicates": dd}, f, ensure_ascii=False, indent=1)
    print(b, len(out), "items,", len(dd["groups"]), "groups,", len(dd["traps"]), "traps")
