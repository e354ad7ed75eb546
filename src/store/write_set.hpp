// write_set: everything that must become durable together (one RocksDB
// WriteBatch), described in the domain's terms. Callers (actors) build it on
// their own thread; the writer commits it.
//
// What one write adds to an item's record (state, results, history) is
// gathered into one delta per item and write set, which becomes a single
// merge operand (store/record.hpp): an item's transitions cost one key each.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/item.hpp"
#include "core/item_state.hpp"
#include "core/pipeline.hpp"
#include "core/state_machine.hpp"
#include "core/status.hpp"
#include "store/counters.hpp"
#include "store/keys.hpp"
#include "store/record.hpp"

namespace pw::store {

// An event for a room's replay log. The writer gives it the room's next seq
// when it commits, so seqs are gap-free and in commit order.
struct pending_event {
  std::string room;       // a user id, or admins_room
  std::string json_tail;  // the frame's members after "seq", e.g. "\"type\":\"item.completed\",..."
};

inline constexpr std::string_view admins_room = "@admins";

struct provider_request;  // store/batch_records.hpp
struct batch_record;

struct committed_event {
  std::string room;
  std::uint64_t seq = 0;
  std::shared_ptr<const std::string> frame;  // {"seq":N,...}
  std::int64_t committed_ns = 0;             // steady clock, set by the writer once the batch committed
};

class write_set {
 public:
  // single_erase: the key was put once since it was last erased (RocksDB
  // SingleDelete: a put and its erase that meet in a memtable both vanish
  // at flush, instead of leaving a tombstone to compact away).
  enum class kind : std::uint8_t { put, erase, erase_range, merge, single_erase };
  struct op {
    cf family;
    kind what = kind::put;
    std::string key;
    std::string value;  // erase_range: the end key (exclusive)
  };

  // A newly accepted item: its whole record and where it is listed (the
  // queue, or the index when it starts paused or finished). Counts it.
  void create_item(const core::item& it, const core::pipeline& p, const core::item_state& s,
                   std::vector<core::history_entry> history);
  // What changed in an existing item's record; one delta per item.
  void put_header(const core::item& it, const core::item_state& s);
  void put_stage(const core::item& it, std::string_view stage, const core::stage_state& st);
  void append_history(const core::item& it, const core::history_entry& e);
  void put_result(const core::item& it, std::string_view stage, std::string json);
  void delete_result(const core::item& it, std::string_view stage);

  // The item entered `to` from `from`: status counters of its workspace and
  // overall, and its place in the queue or the index.
  void status_change(const core::item& it, core::item_status from, core::item_status to);

  // Durable retry timers; they count as "delayed" in the workspace and overall.
  void put_timer(std::int64_t due_ms, std::string_view id, std::string_view stage, std::string_view workspace);
  void delete_timer(std::int64_t due_ms, std::string_view id, std::string_view stage, std::string_view workspace);
  // Dead letters; they count as open dead letters of the workspace.
  void put_dead_letter(std::string_view id, std::string_view stage, std::string_view workspace, std::string json);
  void delete_dead_letter(std::string_view id, std::string_view stage, std::string_view workspace);
  // The item is listed under `theme` in its workspace (GET /items?theme=).
  void put_theme(const core::item& it, std::string_view theme);
  void delete_theme(const core::item& it, std::string_view theme);
  void put_stage_data(std::string key, std::optional<std::string> value);
  // A finished item's processing time, for the workspace's average and p95.
  void record_duration(std::string_view workspace, std::int64_t ms);
  // Removes every record of the item (events already sent stay in the log).
  void delete_item(const core::item& it, const core::pipeline& p, const core::item_state& s);
  // An item waiting on a batch leaves the queue while its supervisor is
  // stopped (recovery must not start it), and comes back when woken. Both
  // are harmless when the item is not in the state they leave.
  void park_item(const core::item& it);
  void unpark_item(const core::item& it);
  // An imported row's key (net/imports): a re-import finds its item.
  void put_row_key(std::string_view workspace, std::string_view row_key, std::string_view item_id);
  void put_import(std::string_view import_id, std::string_view owner, std::string report_json);
  // The Batch API's records (store/batch_records.hpp, batch_records.cpp).
  // A request's record, moved in the by-status index and the workspace's
  // request counters from `was` (nullopt: a new request).
  void put_provider_request(const provider_request& r, std::optional<std::uint8_t> was);
  void put_batch(const batch_record& b);
  void put_batch_members(std::string_view batch_id, const std::vector<std::string>& request_ids);
  void put_idempotency(std::string_view owner, std::string_view key, std::int64_t created_ms, std::string record);
  void delete_idempotency(std::string_view owner, std::string_view key, std::int64_t created_ms);
  void count(std::string_view workspace, std::string field, std::int64_t delta);
  // A plain key of a family (records of other kinds: store/assets.hpp).
  void put(cf family, std::string key, std::string value);
  void erase(cf family, std::string key);
  void emit(std::string room, std::string json_tail);
  void erase_range(cf family, std::string begin, std::string end);
  // Keeps a room's last seq in meta (before a sweep may delete all its events).
  void keep_room_seq(std::string_view room, std::uint64_t seq);

  // (cluster) Records copied as they are, by a handoff: a slot's keys
  // written on the node that takes it, or erased on the one that gave it.
  void put_raw(cf family, std::string key, std::string value);
  // queue entries are single-erased, as everywhere (each was put once).
  void erase_raw(cf family, std::string key);
  // An event from another node's outbox, applied to a room whose log lives
  // here: the event gets the room's next seq, and the origin's last applied
  // outbox seq is kept with it, in the same batch.
  void applied(std::string_view room, std::string_view origin, std::uint64_t outbox_seq);
  // After this batch, the writer reads these workspaces' counters and rooms'
  // seqs from the store again (a handoff wrote or erased them underneath).
  void reload(std::vector<std::string> workspaces, std::vector<std::string> rooms);
  const std::vector<std::string>& reload_workspaces() const noexcept { return reload_workspaces_; }
  const std::vector<std::string>& reload_rooms() const noexcept { return reload_rooms_; }

  // Encodes the gathered deltas into their merge operands. The writer calls
  // it once before reading ops().
  void seal();
  bool empty() const noexcept {
    return ops_.empty() && events_.empty() && counters_.empty() && reload_workspaces_.empty() && reload_rooms_.empty();
  }
  const std::vector<op>& ops() const noexcept { return ops_; }
  const std::vector<pending_event>& events() const noexcept { return events_; }
  struct counter_delta {
    std::string workspace;
    std::string field;
    std::int64_t delta;
  };
  const std::vector<counter_delta>& counters() const noexcept { return counters_; }

 private:
  struct open_delta {
    std::size_t op;  // its merge op in ops_
    std::int64_t created_at_ms;
    record_delta delta;
  };
  record_delta& delta_for(const core::item& it);
  void enter(const core::item& it, core::item_status s);  // listed in the queue or the index
  void leave(const core::item& it, core::item_status s);

  std::vector<op> ops_;
  std::vector<open_delta> deltas_;
  std::vector<pending_event> events_;
  std::vector<counter_delta> counters_;
  std::vector<std::string> reload_workspaces_, reload_rooms_;
};

// Whether an item with this status waits in the durable queue (queued or
// processing) rather than in the index (paused or finished).
constexpr bool in_queue(core::item_status s) noexcept {
  return s == core::item_status::queued || s == core::item_status::processing;
}

// Whether an item with this status is also listed under its owner (paused,
// partial, failed, cancelled). Completed items, the bulk, are listed under
// their workspace only: one index key per finished item.
constexpr bool owner_indexed(core::item_status s) noexcept {
  return s == core::item_status::paused || s == core::item_status::partial || s == core::item_status::failed ||
         s == core::item_status::cancelled;
}

}  // namespace pw::store
