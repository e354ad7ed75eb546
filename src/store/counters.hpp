// Status counts, retry timers, open dead letters and processing-time
// histograms, kept per workspace: every counter of a workspace lives in one
// record ("w/<workspace>" in the meta family), so a write that changes an
// item's status writes one counter key, and never a key per counter.
// Totals over all workspaces are summed when read.
//
// Readers name a counter as "ws/<workspace>/<field>" or "all/<field>"
// (status_counter() and friends build the names); fields are a status name,
// "delayed", "dlq", or "duration/<part>".
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.hpp"

namespace pw::store {

// The counters of one workspace: the fields every workspace has in a fixed
// array (no lookup by name on the write path), any other in a map.
class counter_pack {
 public:
  std::int64_t get(std::string_view field) const;
  void add(std::string_view field, std::int64_t delta);
  void set(std::string_view field, std::int64_t value);
  // (field, value) of every counter that is not 0.
  std::map<std::string, std::int64_t, std::less<>> all() const;
  static constexpr std::size_t known_count = 28;  // statuses, delayed, dlq, duration (count, sum, 17 buckets)

 private:
  friend std::string encode_counter_pack(const counter_pack& p);
  friend std::optional<counter_pack> decode_counter_pack(std::string_view bytes);
  std::array<std::int64_t, known_count> known_{};
  std::map<std::string, std::int64_t, std::less<>> other_;
};

std::string counter_pack_key(std::string_view workspace);  // "w/<workspace>"
inline constexpr std::string_view counter_pack_prefix = "w/";
std::string encode_counter_pack(const counter_pack& p);
std::optional<counter_pack> decode_counter_pack(std::string_view bytes);

// Counter names, shared by writers and readers.
std::string status_counter(std::string_view workspace, core::item_status s);  // "" workspace = all
std::string delayed_counter(std::string_view workspace);                       // retry timers pending
std::string dead_letters_counter(std::string_view workspace);                   // open dead letters
// Processing-time histogram of a workspace: bucket upper bounds in ms.
inline constexpr std::int64_t duration_buckets_ms[] = {1,    2,    5,     10,    20,    50,     100,   200,
                                                       500,  1000, 2000,  5000,  10000, 30000, 60000, 300000};
std::string duration_counter(std::string_view workspace, std::string_view part);  // "count", "sum", "le_<ms>", "le_inf"

// A name split into (workspace, field); workspace "" for "all/<field>".
struct counter_name {
  std::string workspace;
  std::string field;
};
std::optional<counter_name> parse_counter_name(std::string_view name);

}  // namespace pw::store
