#include "store/write_set.hpp"

#include "store/codec.hpp"

namespace pw::store {

void write_set::put_item(const core::item& it) {
  ops_.push_back({cf::items, false, it.id, encode_item(it)});
  ops_.push_back({cf::owners, false, owner_key(it.owner, it.id), it.workspace});
}

void write_set::put_state(std::string_view id, const core::pipeline& p, const core::item_state& s) {
  ops_.push_back({cf::state, false, std::string(id), encode_state(p, s)});
}

void write_set::put_result(std::string_view id, std::string_view stage, std::string json) {
  ops_.push_back({cf::results, false, result_key(id, stage), std::move(json)});
}

void write_set::append_history(std::string_view id, std::uint32_t seq, const core::history_entry& e) {
  ops_.push_back({cf::history, false, history_key(id, seq), encode_history(e)});
}

void write_set::enqueue(std::string_view id) { ops_.push_back({cf::queue, false, std::string(id), {}}); }
void write_set::dequeue(std::string_view id) { ops_.push_back({cf::queue, true, std::string(id), {}}); }

void write_set::put_timer(std::int64_t due_ms, std::string_view id, std::string_view stage) {
  ops_.push_back({cf::timers, false, timer_key(due_ms, id, stage), {}});
}

void write_set::delete_timer(std::int64_t due_ms, std::string_view id, std::string_view stage) {
  ops_.push_back({cf::timers, true, timer_key(due_ms, id, stage), {}});
}

void write_set::put_dead_letter(std::string_view id, std::string_view stage, std::string json) {
  ops_.push_back({cf::dlq, false, dlq_key(id, stage), std::move(json)});
}

void write_set::put_stage_data(std::string key, std::optional<std::string> value) {
  ops_.push_back({cf::stage_data, !value, std::move(key), value.value_or("")});
}

void write_set::count_status(std::string_view workspace, std::optional<core::item_status> from, core::item_status to) {
  if (from == to) return;
  if (from) {
    count(status_counter("", *from), -1);
    count(status_counter(workspace, *from), -1);
  }
  count(status_counter("", to), 1);
  count(status_counter(workspace, to), 1);
}

void write_set::count(std::string counter, std::int64_t delta) { counters_.emplace_back(std::move(counter), delta); }

void write_set::emit(std::string room, std::string json_tail) {
  events_.push_back({std::move(room), std::move(json_tail)});
}

std::string status_counter(std::string_view workspace, core::item_status s) {
  std::string k = workspace.empty() ? std::string("all") : "ws/" + std::string(workspace);
  k += '/';
  k += core::to_string(s);
  return k;
}

}  // namespace pw::store
