// The guard that keeps near-misses apart: two texts that embed close but are
// about different problems ("CSV import drops a field" / "CSV export drops a
// field"). The lexicons tag mutually exclusive alternatives as
// `x.<group>.<value>` (x.io.import, x.io.export; x.auth.login,
// x.auth.logout; x.code.expired, x.code.missing; ...). Two items conflict
// when, for some group, both name values and share none of them.
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

// Sorted, unique; hashes of the tag names, so they persist across builds.
using guard_signature = std::vector<guard_value>;

guard_signature signature(const analysis& a);
bool conflict(const guard_signature& a, const guard_signature& b);

void append_signature(std::string& out, const guard_signature& s);
// Reads what append_signature wrote at `pos`, advancing it; false if short.
bool read_signature(std::string_view in, std::size_t& pos, guard_signature& s);

}  // namespace pw::stages::ai
