#include "store/write_set.hpp"

#include "store/codec.hpp"

namespace pw::store {

namespace {
using k = write_set::kind;
}

void write_set::put_item(const core::item& it) {
  ops_.push_back({cf::items, k::put, it.id, encode_item(it)});
  ops_.push_back({cf::owners, k::put, owner_key(it.owner, it.id), it.workspace});
}

void write_set::put_state(std::string_view id, const core::pipeline& p, const core::item_state& s) {
  ops_.push_back({cf::state, k::put, std::string(id), encode_state(p, s)});
}

void write_set::put_result(std::string_view id, std::string_view stage, std::string json) {
  ops_.push_back({cf::results, k::put, result_key(id, stage), std::move(json)});
}

void write_set::append_history(std::string_view id, std::uint32_t seq, const core::history_entry& e) {
  if (history_op_ < ops_.size() && history_next_seq_ == seq && history_id_ == id) {
    store::append_history(ops_[history_op_].value, e);
  } else {
    history_op_ = ops_.size();
    history_id_ = std::string(id);
    ops_.push_back({cf::history, k::put, history_key(id, seq), encode_history(e)});
  }
  history_next_seq_ = seq + 1;
}

void write_set::enqueue(std::string_view id, std::string_view workspace) {
  ops_.push_back({cf::queue, k::put, std::string(id), std::string(workspace)});
}
void write_set::dequeue(std::string_view id) { ops_.push_back({cf::queue, k::erase, std::string(id), {}}); }

void write_set::put_timer(std::int64_t due_ms, std::string_view id, std::string_view stage, std::string_view workspace) {
  ops_.push_back({cf::timers, k::put, timer_key(due_ms, id, stage), {}});
  count(delayed_counter(""), 1);
  count(delayed_counter(workspace), 1);
}

void write_set::delete_timer(std::int64_t due_ms, std::string_view id, std::string_view stage, std::string_view workspace) {
  ops_.push_back({cf::timers, k::erase, timer_key(due_ms, id, stage), {}});
  count(delayed_counter(""), -1);
  count(delayed_counter(workspace), -1);
}

void write_set::put_dead_letter(std::string_view id, std::string_view stage, std::string json) {
  ops_.push_back({cf::dlq, k::put, dlq_key(id, stage), std::move(json)});
}

void write_set::put_stage_data(std::string key, std::optional<std::string> value) {
  ops_.push_back({cf::stage_data, value ? k::put : k::erase, std::move(key), value.value_or("")});
}

void write_set::status_change(const core::item& it, std::optional<core::item_status> from, core::item_status to) {
  if (from == to) return;
  const auto next = core::to_string(to);
  if (from) {
    const auto prev = core::to_string(*from);
    count(status_counter("", *from), -1);
    count(status_counter(it.workspace, *from), -1);
    ops_.push_back({cf::index, k::erase, index_status_key(prev, it.id), {}});
    ops_.push_back({cf::index, k::erase, index_workspace_status_key(it.workspace, prev, it.id), {}});
    ops_.push_back({cf::index, k::erase, index_owner_status_key(it.owner, prev, it.id), {}});
  } else {
    ops_.push_back({cf::index, k::put, index_workspace_key(it.workspace, it.id), {}});
  }
  count(status_counter("", to), 1);
  count(status_counter(it.workspace, to), 1);
  ops_.push_back({cf::index, k::put, index_status_key(next, it.id), it.workspace});
  ops_.push_back({cf::index, k::put, index_workspace_status_key(it.workspace, next, it.id), {}});
  ops_.push_back({cf::index, k::put, index_owner_status_key(it.owner, next, it.id), it.workspace});
}

void write_set::record_duration(std::string_view workspace, std::int64_t ms) {
  count(duration_counter(workspace, "count"), 1);
  count(duration_counter(workspace, "sum"), ms);
  for (auto bound : duration_buckets_ms)
    if (ms <= bound) return count(duration_counter(workspace, "le_" + std::to_string(bound)), 1);
  count(duration_counter(workspace, "le_inf"), 1);
}

void write_set::delete_result(std::string_view id, std::string_view stage) {
  ops_.push_back({cf::results, k::erase, result_key(id, stage), {}});
}

void write_set::delete_dead_letter(std::string_view id, std::string_view stage) {
  ops_.push_back({cf::dlq, k::erase, dlq_key(id, stage), {}});
  count(std::string(dead_letters_counter), -1);
}

void write_set::put_theme(const core::item& it, std::string_view theme) {
  ops_.push_back({cf::index, k::put, index_workspace_theme_key(it.workspace, theme, it.id), it.owner});
}

void write_set::delete_theme(const core::item& it, std::string_view theme) {
  ops_.push_back({cf::index, k::erase, index_workspace_theme_key(it.workspace, theme, it.id), {}});
}

void write_set::delete_item(const core::item& it, const core::pipeline& p, const core::item_state& s) {
  const auto status = core::to_string(s.status);
  for (auto family : {cf::items, cf::state, cf::queue}) ops_.push_back({family, k::erase, it.id, {}});
  ops_.push_back({cf::owners, k::erase, owner_key(it.owner, it.id), {}});
  ops_.push_back({cf::index, k::erase, index_workspace_key(it.workspace, it.id), {}});
  ops_.push_back({cf::index, k::erase, index_status_key(status, it.id), {}});
  ops_.push_back({cf::index, k::erase, index_workspace_status_key(it.workspace, status, it.id), {}});
  ops_.push_back({cf::index, k::erase, index_owner_status_key(it.owner, status, it.id), {}});
  ops_.push_back({cf::history, k::erase_range, history_key(it.id, 0), prefix_end(it.id)});
  count(status_counter("", s.status), -1);
  count(status_counter(it.workspace, s.status), -1);
  for (std::size_t i = 0; i < p.size() && i < s.stages.size(); ++i) {
    const auto& name = p.stages()[i].name;
    const auto& st = s.stages[i];
    ops_.push_back({cf::results, k::erase, result_key(it.id, name), {}});
    if (st.status == core::stage_status::failed) delete_dead_letter(it.id, name);
    if (st.status == core::stage_status::retrying) delete_timer(st.next_due_ms, it.id, name, it.workspace);
  }
}

void write_set::put_idempotency(std::string_view owner, std::string_view key, std::int64_t created_ms, std::string record) {
  ops_.push_back({cf::idempotency, k::put, idempotency_key(owner, key), std::move(record)});
  ops_.push_back({cf::idempotency, k::put, idempotency_expiry_key(created_ms, owner, key), {}});
}

void write_set::delete_idempotency(std::string_view owner, std::string_view key, std::int64_t created_ms) {
  ops_.push_back({cf::idempotency, k::erase, idempotency_key(owner, key), {}});
  ops_.push_back({cf::idempotency, k::erase, idempotency_expiry_key(created_ms, owner, key), {}});
}

void write_set::erase_range(cf family, std::string begin, std::string end) {
  ops_.push_back({family, k::erase_range, std::move(begin), std::move(end)});
}

void write_set::count(std::string counter, std::int64_t delta) { counters_.emplace_back(std::move(counter), delta); }

void write_set::emit(std::string room, std::string json_tail) {
  events_.push_back({std::move(room), std::move(json_tail)});
}

std::string delayed_counter(std::string_view workspace) {
  return workspace.empty() ? std::string("all/delayed") : "ws/" + std::string(workspace) + "/delayed";
}

std::string duration_counter(std::string_view workspace, std::string_view part) {
  return "ws/" + std::string(workspace) + "/duration/" + std::string(part);
}

std::string status_counter(std::string_view workspace, core::item_status s) {
  std::string k = workspace.empty() ? std::string("all") : "ws/" + std::string(workspace);
  k += '/';
  k += core::to_string(s);
  return k;
}

}  // namespace pw::store
