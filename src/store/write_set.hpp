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
};

class write_set {
 public:
  struct op {
    cf family;
    bool erase = false;
    std::string key;
    std::string value;
  };

  void put_item(const core::item& it);  // the item and its owner index entry
  void put_state(std::string_view id, const core::pipeline& p, const core::item_state& s);
  void put_result(std::string_view id, std::string_view stage, std::string json);
  void append_history(std::string_view id, std::uint32_t seq, const core::history_entry& e);
  void enqueue(std::string_view id);
  void dequeue(std::string_view id);
  void put_timer(std::int64_t due_ms, std::string_view id, std::string_view stage);
  void delete_timer(std::int64_t due_ms, std::string_view id, std::string_view stage);
  void put_dead_letter(std::string_view id, std::string_view stage, std::string json);
  void put_stage_data(std::string key, std::optional<std::string> value);
  // Status counters: the item entered `to` (and left `from`, if any), in
  // its workspace and overall.
  void count_status(std::string_view workspace, std::optional<core::item_status> from, core::item_status to);
  void count(std::string counter, std::int64_t delta);
  void emit(std::string room, std::string json_tail);

  bool empty() const noexcept { return ops_.empty() && events_.empty() && counters_.empty(); }
  const std::vector<op>& ops() const noexcept { return ops_; }
  const std::vector<pending_event>& events() const noexcept { return events_; }
  const std::vector<std::pair<std::string, std::int64_t>>& counters() const noexcept { return counters_; }

 private:
  std::vector<op> ops_;
  std::vector<pending_event> events_;
  std::vector<std::pair<std::string, std::int64_t>> counters_;
};

// Counter names, shared by writers and readers.
std::string status_counter(std::string_view workspace, core::item_status s);  // "" workspace = all
inline constexpr std::string_view dead_letters_counter = "dlq/open";

}  // namespace pw::store
