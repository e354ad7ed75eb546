// write_set: everything that must become durable together (one RocksDB
// WriteBatch), described in the domain's terms. Callers (actors) build it on
// their own thread; only the writer thread touches RocksDB.
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
#include "store/keys.hpp"

namespace pw::store {

// An event for a room's replay log. The writer gives it the room's next seq
// when it commits, so seqs are gap-free and in commit order.
struct pending_event {
  std::string room;       // a user id, or admins_room
  std::string json_tail;  // the frame's members after "seq", e.g. "\"type\":\"item.completed\",..."
};

inline constexpr std::string_view admins_room = "@admins";

struct committed_event {
  std::string room;
  std::uint64_t seq = 0;
  std::shared_ptr<const std::string> frame;  // {"seq":N,...}
  std::int64_t committed_ns = 0;             // steady clock, set by the writer once the batch committed
};

class write_set {
 public:
  enum class kind : std::uint8_t { put, erase, erase_range };
  struct op {
    cf family;
    kind what = kind::put;
    std::string key;
    std::string value;  // erase_range: the end key (exclusive)
  };

  void put_item(const core::item& it);  // the item and its owner index entry
  void put_state(std::string_view id, const core::pipeline& p, const core::item_state& s);
  void put_result(std::string_view id, std::string_view stage, std::string json);
  // Consecutive entries of one item share one record (see codec.hpp).
  void append_history(std::string_view id, std::uint32_t seq, const core::history_entry& e);
  void enqueue(std::string_view id, std::string_view workspace);  // the durable queue: id -> workspace
  void dequeue(std::string_view id);
  // Durable retry timers; they count as "delayed" in the workspace and overall.
  void put_timer(std::int64_t due_ms, std::string_view id, std::string_view stage, std::string_view workspace);
  void delete_timer(std::int64_t due_ms, std::string_view id, std::string_view stage, std::string_view workspace);
  void put_dead_letter(std::string_view id, std::string_view stage, std::string json);
  // The item is listed under `theme` in its workspace (GET /items?theme=).
  void put_theme(const core::item& it, std::string_view theme);
  void delete_theme(const core::item& it, std::string_view theme);
  void put_stage_data(std::string key, std::optional<std::string> value);
  // The item entered `to` (and left `from`, if any): status counters of its
  // workspace and overall, and the listing indexes.
  void status_change(const core::item& it, std::optional<core::item_status> from, core::item_status to);
  // A finished item's processing time, for the workspace's average and p95.
  void record_duration(std::string_view workspace, std::int64_t ms);
  void delete_result(std::string_view id, std::string_view stage);
  void delete_dead_letter(std::string_view id, std::string_view stage);
  // Removes every record of the item (events already sent stay in the log).
  void delete_item(const core::item& it, const core::pipeline& p, const core::item_state& s);
  void put_idempotency(std::string_view owner, std::string_view key, std::int64_t created_ms, std::string record);
  void delete_idempotency(std::string_view owner, std::string_view key, std::int64_t created_ms);
  void count(std::string counter, std::int64_t delta);
  void emit(std::string room, std::string json_tail);
  void erase_range(cf family, std::string begin, std::string end);

  bool empty() const noexcept { return ops_.empty() && events_.empty() && counters_.empty(); }
  const std::vector<op>& ops() const noexcept { return ops_; }
  const std::vector<pending_event>& events() const noexcept { return events_; }
  const std::vector<std::pair<std::string, std::int64_t>>& counters() const noexcept { return counters_; }

 private:
  std::vector<op> ops_;
  // The history chunk the next consecutive entry of history_id_ extends.
  std::size_t history_op_ = static_cast<std::size_t>(-1);
  std::string history_id_;
  std::uint32_t history_next_seq_ = 0;
  std::vector<pending_event> events_;
  std::vector<std::pair<std::string, std::int64_t>> counters_;
};

// Counter names, shared by writers and readers.
std::string status_counter(std::string_view workspace, core::item_status s);  // "" workspace = all
std::string delayed_counter(std::string_view workspace);                       // retry timers pending
inline constexpr std::string_view dead_letters_counter = "dlq/open";
// Processing-time histogram of a workspace: bucket upper bounds in ms.
inline constexpr std::int64_t duration_buckets_ms[] = {1,    2,    5,     10,    20,    50,     100,   200,
                                                       500,  1000, 2000,  5000,  10000, 30000, 60000, 300000};
std::string duration_counter(std::string_view workspace, std::string_view part);  // "count", "sum", "le_<ms>", "le_inf"

}  // namespace pw::store
