#!/usr/bin/env python3
"""Checks one corpus batch (JSONL) against the corpus rules and prints its counts.
usage: check.py BATCH.jsonl [--quota]   (exit 1 on any error; --quota also checks the batch quotas)"""
import json, sys, collections

SENT = {"positive", "neutral", "negative"}
URG = {"low", "medium", "high", "critical"}
CAT = {"billing", "bug", "feature_request", "complaint", "question", "praise"}
LANG = {"en", "es", "de"}
TAGS = {"negation", "negated_negative", "sarcasm", "mixed", "caps", "emoji", "typos", "one_liner", "long",
        "question", "polite_request", "harm_plain", "deadline", "security", "fraud", "data_loss", "outage",
        "workaround", "cosmetic", "accessibility", "ignored_setting", "docs", "refund", "double_charge",
        "pre_sales", "remedy_goods", "support", "paraphrase", "cross_language", "trap", "rating", "slang",
        "multi_issue", "code_or_log", "plus_one"}
FIELDS = ["id", "workspace", "kind", "product", "lang", "text", "sentiment", "urgency", "category", "theme",
          "dup_group", "trap_of", "tags", "note"]

def main():
    path = sys.argv[1]
    quota = "--quota" in sys.argv
    errors = []
    items = []
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.strip()
        if not line:
            continue
        try:
            o = json.loads(line)
        except Exception as e:
            errors.append(f"line {n}: not JSON: {e}")
            continue
        missing = [f for f in FIELDS if f not in o]
        extra = [f for f in o if f not in FIELDS]
        if missing: errors.append(f"line {n} ({o.get('id')}): missing {missing}")
        if extra: errors.append(f"line {n} ({o.get('id')}): unknown fields {extra}")
        for f, allowed in (("sentiment", SENT), ("urgency", URG), ("category", CAT), ("lang", LANG)):
            if o.get(f) not in allowed: errors.append(f"line {n} ({o.get('id')}): {f}={o.get(f)!r} not in {sorted(allowed)}")
        if not isinstance(o.get("text"), str) or not o["text"].strip(): errors.append(f"line {n}: empty text")
        if not isinstance(o.get("theme"), str) or not o["theme"].strip(): errors.append(f"line {n}: empty theme")
        tags = o.get("tags")
        if not isinstance(tags, list) or any(t not in TAGS for t in tags):
            errors.append(f"line {n} ({o.get('id')}): tags must be a list from {sorted(TAGS)}; got {tags!r}")
        if o.get("dup_group") is not None and o.get("trap_of") is not None:
            errors.append(f"line {n}: an item is not both in a group and a trap")
        items.append(o)
    ids = collections.Counter(o.get("id") for o in items)
    for i, c in ids.items():
        if c > 1: errors.append(f"id {i} used {c} times")
    texts = collections.Counter(o.get("text") for o in items)
    for t, c in texts.items():
        if c > 1: errors.append(f"text repeated {c} times: {t[:60]!r}")
    groups = collections.defaultdict(list)
    for o in items:
        if o.get("dup_group"): groups[o["dup_group"]].append(o)
    for g, members in groups.items():
        if len(members) < 2: errors.append(f"group {g} has only {len(members)} member")
        if len({m["workspace"] for m in members}) > 1: errors.append(f"group {g} spans workspaces")
    for o in items:
        t = o.get("trap_of")
        if t is not None:
            if t not in groups: errors.append(f"{o['id']}: trap_of {t} names no group of this batch")
            elif groups[t][0]["workspace"] != o["workspace"]: errors.append(f"{o['id']}: trap in another workspace")
    c = lambda f: dict(collections.Counter(o.get(f) for o in items))
    short = sum(1 for o in items if len(o.get("text", "")) < 60)
    long_ = sum(1 for o in items if len(o.get("text", "")) >= 400)
    tagc = collections.Counter(t for o in items for t in (o.get("tags") or []))
    traps = sum(1 for o in items if o.get("trap_of"))
    xlang = sum(1 for g in groups.values() if len({m["lang"] for m in g}) > 1)
    print(f"{path}: {len(items)} items, {len(groups)} duplicate groups ({xlang} across languages), {traps} traps")
    print(f"  under 60 chars: {short}; 400+ chars: {long_}")
    for f in ("workspace", "lang", "sentiment", "urgency", "category"):
        print(f"  {f}: {c(f)}")
    print(f"  tags: {dict(sorted(tagc.items()))}")
    if quota:
        L = c("lang"); S = c("sentiment"); U = c("urgency"); C = c("category")
        need = [
            (len(items) >= 200, "at least 200 items"),
            (L.get("es", 0) >= 25 and L.get("de", 0) >= 25, "at least 25 es and 25 de"),
            (short >= 25, "at least 25 texts under 60 characters"),
            (long_ >= 20, "at least 20 texts of 400+ characters"),
            (len(groups) >= 16, "at least 16 duplicate groups"),
            (xlang >= 4, "at least 4 groups with members in two languages"),
            (traps >= 8, "at least 8 traps"),
            (all(C.get(k, 0) >= 15 for k in CAT), "every category at least 15 times"),
            (U.get("critical", 0) >= 20 and U.get("high", 0) >= 35 and U.get("medium", 0) >= 35 and U.get("low", 0) >= 40,
             "urgency: critical >= 20, high >= 35, medium >= 35, low >= 40"),
            (S.get("positive", 0) >= 30 and S.get("neutral", 0) >= 45 and S.get("negative", 0) >= 55,
             "sentiment: positive >= 30, neutral >= 45, negative >= 55"),
            (all(tagc.get(t, 0) >= 6 for t in ("negation", "negated_negative", "sarcasm", "mixed", "caps", "emoji",
                                                 "typos", "polite_request", "harm_plain", "multi_issue")),
             "each of negation, negated_negative, sarcasm, mixed, caps, emoji, typos, polite_request, harm_plain, multi_issue at least 6 times"),
        ]
        for ok, what in need:
            if not ok: errors.append("quota: " + what)
    for e in errors:
        print("ERROR:", e)
    sys.exit(1 if errors else 0)

main()
