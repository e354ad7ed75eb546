// The durable store: one RocksDB database with a column family per concern
// (store/keys.hpp). This class opens and closes it and serves reads; writes
// go through store::writer. Reads are synchronous and short (point lookups
// and bounded prefix scans); call them from I/O threads, never from the
// actor scheduler.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/item.hpp"
#include "core/item_state.hpp"
#include "core/pipeline.hpp"
#include "core/result.hpp"
#include "core/state_machine.hpp"
#include "store/keys.hpp"

namespace pw::store {

struct open_options {
  std::size_t block_cache_mb = 64;
};

struct event_page {
  std::vector<std::pair<std::uint64_t, std::string>> events;  // (seq, frame), ascending
  std::uint64_t first_retained = 0;                            // oldest seq still stored, 0 if none
  std::uint64_t last_seq = 0;                                  // newest seq stored, 0 if none
};

struct index_page {
  std::vector<std::pair<std::string, std::string>> entries;  // (id, value), newest first
  // Set when the scan stopped before the end: pass it as `before` to go on.
  std::optional<std::string> next;
};

struct index_query {
  cf family = cf::index;      // cf::index, cf::owners (prefix owner '\0') or cf::items (prefix "")
  std::string prefix;         // the key up to the id
  std::string before;         // exclusive upper bound on the id; empty: start at the newest
  std::size_t limit = 50;
  std::optional<std::string> value_equals;  // keep only entries whose value is this
  std::size_t max_scan = 5000;              // entries examined at most (filtered scans)
};

class database {
 public:
  static core::result<std::unique_ptr<database>> open(const std::string& dir, const open_options& opts);
  ~database();
  database(const database&) = delete;
  database& operator=(const database&) = delete;

  std::optional<core::item> item(std::string_view id) const;
  // The raw state record (decode with store::decode_state and the item's pipeline).
  std::optional<std::string> state_record(std::string_view id) const;
  // (stage, result JSON) for every stored result of the item.
  std::vector<std::pair<std::string, std::string>> results(std::string_view id) const;
  std::vector<core::history_entry> history(std::string_view id) const;
  // Events of `room` with seq > after, at most `limit`.
  event_page events(std::string_view room, std::uint64_t after, std::size_t limit) const;
  std::uint64_t last_event_seq(std::string_view room) const;
  std::int64_t counter(std::string_view name) const;
  // Dead letters in key order after `cursor` (exclusive): (key, JSON).
  std::vector<std::pair<std::string, std::string>> dead_letters(std::string_view cursor, std::size_t limit) const;
  std::optional<std::string> dead_letter(std::string_view id, std::string_view stage) const;

  // Ids of every accepted item that has not finished, oldest first.
  void scan_queue(const std::function<void(std::string_view id, std::string_view workspace)>& fn) const;
  // Every stage_data key under `prefix`.
  void scan_stage_data(std::string_view prefix,
                       const std::function<void(std::string_view key, std::string_view value)>& fn) const;
  std::size_t count_timers() const;
  // A listing from an index, newest first (ids are ULIDs: time order).
  index_page list(const index_query& q) const;
  index_page list_index(std::string_view prefix, std::string_view before, std::size_t limit) const;
  std::optional<std::string> idempotency(std::string_view owner, std::string_view key) const;
  // (key, created_ms) of idempotency records created before `cutoff_ms`, oldest first.
  std::vector<std::tuple<std::string, std::string, std::int64_t>> expired_idempotency(std::int64_t cutoff_ms,
                                                                                     std::size_t limit) const;
  // Every room that has events, with its newest seq.
  std::vector<std::pair<std::string, std::uint64_t>> rooms() const;

  struct impl;
  impl& internals() noexcept { return *impl_; }

 private:
  explicit database(std::unique_ptr<impl> i);
  std::unique_ptr<impl> impl_;
};

}  // namespace pw::store
