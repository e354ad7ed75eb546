// The guard that keeps near-misses apart: two texts that embed close but are
// about different problems ("CSV import drops a field" / "CSV export drops a
// field"). Two checks:
//  1. Exclusive alternatives: the lexicons tag them `x.<group>.<value>`
//     (x.io.import / x.io.export, x.auth.in / x.auth.out, x.code.expired /
//     x.code.missing, x.qty.none / x.qty.extra, ...). Two items conflict
//     when, for some group, both name values and share none of them.
//  2. Minimal pairs: the same sentence with one slot swapped ("memory leak
//     in the Node SDK" / "... in the Python SDK"). Each item keeps its key
//     terms (stems of content words, concept names for concept spans, "¬"
//     for a negation); two items conflict when they share most terms and
//     each has one or two terms the other lacks (typos, numbers and words
//     of one concept do not count). Paraphrases differ in many words and
//     pass; a restatement with an added detail has nothing on one side and
//     passes too.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "stages/ai/analysis.hpp"

namespace pw::stages::ai {

struct guard_value {
  std::uint32_t group;
  std::uint32_t value;
  bool operator==(const guard_value&) const = default;
  bool operator<(const guard_value& o) const { return group != o.group ? group < o.group : value < o.value; }
};

struct guard_signature {
  std::vector<guard_value> groups;  // sorted, unique; hashes of tag names (stable across builds)
  std::vector<std::string> terms;   // sorted, unique key terms
};

guard_signature signature(const analysis& a);
bool conflict(const guard_signature& a, const guard_signature& b);
// The two checks apart (both sorted inputs).
bool groups_conflict(const std::vector<guard_value>& a, const std::vector<guard_value>& b);
bool minimal_pair(const std::vector<std::string>& a, const std::vector<std::string>& b);

void append_signature(std::string& out, const guard_signature& s);
// Reads what append_signature wrote at `pos`, advancing it; false if short.
bool read_signature(std::string_view in, std::size_t& pos, guard_signature& s);

}  // namespace pw::stages::ai
