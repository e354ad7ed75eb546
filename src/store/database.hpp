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
#include "store/counters.hpp"
#include "store/keys.hpp"
#include "store/record.hpp"

namespace pw::store {

struct open_options {
  std::size_t block_cache_mb = 64;
  std::size_t write_buffer_mb = 32;
};

// What open() found and did.
struct open_report {
  int found_format = 3;               // 2: a store of the previous layout, migrated
  std::size_t migrated_items = 0;
  std::int64_t migration_ms = 0;
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

// A consistent view of the store, for a read made of several scans (a
// listing that merges the queue and the index while items move between them).
class read_snapshot {
 public:
  ~read_snapshot();
  read_snapshot(const read_snapshot&) = delete;
  read_snapshot& operator=(const read_snapshot&) = delete;

 private:
  friend class database;
  read_snapshot(const void* db, const void* snap) : db_(db), snap_(snap) {}
  const void* db_;
  const void* snap_;
};

struct index_query {
  cf family = cf::index;      // cf::index, cf::queue (prefix owner '\0' or "") or cf::items (prefix "")
  std::string prefix;         // the key up to the id
  std::string before;         // exclusive upper bound on the id; empty: start at the newest
  std::size_t limit = 50;
  std::optional<std::string> value_equals;  // keep only entries whose value is this
  // Keep only entries this accepts (id, value); runs after value_equals.
  std::function<bool(std::string_view id, std::string_view value)> accept;
  std::size_t max_scan = 5000;              // entries examined at most (filtered scans)
  std::shared_ptr<const read_snapshot> snapshot;  // read as of this view; null: the latest
};

class database {
 public:
  // Opens (or creates) the store in `dir`. A store of the previous layout
  // (format 2) is migrated first, in place; `report` says so.
  static core::result<std::unique_ptr<database>> open(const std::string& dir, const open_options& opts,
                                                      open_report* report = nullptr);
  // Opens an existing store without writing to it (a stopped node's, for
  // `pipewright verify`): the WAL is replayed in memory only.
  static core::result<std::unique_ptr<database>> open_read_only(const std::string& dir);
  ~database();
  database(const database&) = delete;
  database& operator=(const database&) = delete;

  // The item's whole record: the item, its state, results and history.
  std::optional<item_record> record(std::string_view id) const;
  std::optional<core::item> item(std::string_view id) const;
  std::optional<core::item_status> item_status(std::string_view id, const read_snapshot* at = nullptr) const;
  std::shared_ptr<const read_snapshot> snapshot() const;
  // Events of `room` with seq > after, at most `limit`.
  event_page events(std::string_view room, std::uint64_t after, std::size_t limit) const;
  std::uint64_t last_event_seq(std::string_view room) const;
  // The replay log is stored in chunks (the events one commit added): the
  // seq below which every chunk of `room` holds only events committed before
  // `cutoff_ms` (0 when none does), for the maintenance sweep.
  std::uint64_t expired_events_end(std::string_view room, std::int64_t cutoff_ms) const;
  // The first seq of the stored chunk that holds `seq` (or the last one
  // before it); 0 when there is none. Trims are not looked at: the chunk may
  // be one a trim removed (only the writer's trims ask, for which that is
  // as good).
  std::uint64_t event_chunk_start(std::string_view room, std::uint64_t seq) const;
  // A counter by name (store/counters.hpp); "all/..." sums every workspace.
  std::int64_t counter(std::string_view name) const;
  counter_pack counters_of(std::string_view workspace) const;
  // Every workspace's counters.
  std::vector<std::pair<std::string, store::counter_pack>> counter_packs() const;
  // Dead letters in key order after `cursor` (exclusive): (key, JSON).
  std::vector<std::pair<std::string, std::string>> dead_letters(std::string_view cursor, std::size_t limit) const;
  std::optional<std::string> dead_letter(std::string_view id, std::string_view stage) const;

  // Every queued or processing item (owner, id, workspace), in key order.
  void scan_queue(const std::function<void(std::string_view owner, std::string_view id, std::string_view workspace)>& fn,
                  const read_snapshot* at = nullptr) const;
  // Every stage_data key under `prefix`.
  void scan_stage_data(std::string_view prefix,
                       const std::function<void(std::string_view key, std::string_view value)>& fn) const;
  std::size_t count_timers() const;
  // A listing from an index, newest first (ids are ULIDs: time order).
  index_page list(const index_query& q) const;
  // Several listings merged, newest first, at most `limit`: the page is
  // exact even when some of them stopped early (their max_scan).
  index_page list_merged(const std::vector<index_query>& qs, std::size_t limit) const;
  index_page list_index(std::string_view prefix, std::string_view before, std::size_t limit) const;
  std::optional<std::string> idempotency(std::string_view owner, std::string_view key) const;
  // (key, created_ms) of idempotency records created before `cutoff_ms`, oldest first.
  std::vector<std::tuple<std::string, std::string, std::int64_t>> expired_idempotency(std::int64_t cutoff_ms,
                                                                                     std::size_t limit) const;
  // Every room that has events, with its newest seq.
  std::vector<std::pair<std::string, std::uint64_t>> rooms() const;

  // (cluster) The outbox: the last key used (0: none), and entries after
  // `after` as (outbox seq, room '\0' event), oldest first.
  std::uint64_t last_outbox_seq() const;
  std::vector<std::pair<std::uint64_t, std::string>> outbox(std::uint64_t after, std::size_t limit) const;
  // The last outbox seq of `origin` applied to `room`'s log (0: none).
  std::uint64_t applied(std::string_view room, std::string_view origin) const;
  // Every key of a family, in key order, until fn returns false (a handoff
  // reads the whole store once per round).
  void scan_family(cf family, const std::function<bool(std::string_view key, std::string_view value)>& fn,
                   const read_snapshot* at = nullptr) const;
  std::optional<std::string> get_raw(cf family, std::string_view key) const;

  struct impl;
  impl& internals() noexcept { return *impl_; }
  const impl& internals() const noexcept { return *impl_; }

 private:
  explicit database(std::unique_ptr<impl> i);
  static const void* snapshot_of(const read_snapshot& s) noexcept { return s.snap_; }
  std::unique_ptr<impl> impl_;
};

}  // namespace pw::store
