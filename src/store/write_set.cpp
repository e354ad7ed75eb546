#include "store/write_set.hpp"

#include <algorithm>

namespace pw::store {

namespace {
using k = write_set::kind;

void erase_name(std::vector<std::string>& names, std::string_view name) {
  names.erase(std::remove(names.begin(), names.end(), name), names.end());
}
}  // namespace

record_delta& write_set::delta_for(const core::item& it) {
  for (auto& d : deltas_)
    if (ops_[d.op].key == it.id) return d.delta;
  deltas_.push_back(open_delta{ops_.size(), it.created_at_ms, {}});
  ops_.push_back({cf::items, k::merge, it.id, {}});
  return deltas_.back().delta;
}

void write_set::create_item(const core::item& it, const core::pipeline& p, const core::item_state& s,
                            std::vector<core::history_entry> history) {
  ops_.push_back({cf::items, k::put, it.id, encode_record(make_record(it, p, s, std::move(history)))});
  count(it.workspace, std::string(core::to_string(s.status)), 1);
  enter(it, s.status);
}

void write_set::enter(const core::item& it, core::item_status s) {
  if (in_queue(s)) return ops_.push_back({cf::queue, k::put, queue_key(it.owner, it.id), it.workspace});
  const auto status = core::to_string(s);
  ops_.push_back({cf::index, k::put, index_workspace_status_key(it.workspace, status, it.id), it.owner});
  if (owner_indexed(s)) ops_.push_back({cf::index, k::put, index_owner_status_key(it.owner, status, it.id), it.workspace});
}

void write_set::leave(const core::item& it, core::item_status s) {
  // A queue entry is put when the item enters the queue and erased when it
  // leaves, alternately: a single erase.
  if (in_queue(s)) return ops_.push_back({cf::queue, k::single_erase, queue_key(it.owner, it.id), {}});
  const auto status = core::to_string(s);
  ops_.push_back({cf::index, k::erase, index_workspace_status_key(it.workspace, status, it.id), {}});
  if (owner_indexed(s)) ops_.push_back({cf::index, k::erase, index_owner_status_key(it.owner, status, it.id), {}});
}

void write_set::put_header(const core::item& it, const core::item_state& s) {
  delta_for(it).header = state_header{s.status, s.started_at_ms, s.completed_at_ms, s.history_seq};
}

void write_set::put_stage(const core::item& it, std::string_view stage, const core::stage_state& st) {
  auto& d = delta_for(it);
  for (auto& n : d.stages)
    if (n.name == stage) return void(n.state = st);
  d.stages.push_back(named_stage{std::string(stage), st});
}

void write_set::append_history(const core::item& it, const core::history_entry& e) {
  delta_for(it).history.push_back(e);
}

void write_set::put_result(const core::item& it, std::string_view stage, std::string json) {
  auto& d = delta_for(it);
  erase_name(d.results_erased, stage);
  for (auto& [name, value] : d.results_set)
    if (name == stage) return void(value = std::move(json));
  d.results_set.emplace_back(std::string(stage), std::move(json));
}

void write_set::delete_result(const core::item& it, std::string_view stage) {
  auto& d = delta_for(it);
  d.results_set.erase(
      std::remove_if(d.results_set.begin(), d.results_set.end(), [&](const auto& r) { return r.first == stage; }),
      d.results_set.end());
  if (std::find(d.results_erased.begin(), d.results_erased.end(), stage) == d.results_erased.end())
    d.results_erased.emplace_back(stage);
}

void write_set::status_change(const core::item& it, core::item_status from, core::item_status to) {
  if (from == to) return;
  count(it.workspace, std::string(core::to_string(from)), -1);
  count(it.workspace, std::string(core::to_string(to)), 1);
  if (in_queue(from) && in_queue(to)) return;
  leave(it, from);
  enter(it, to);
}

void write_set::put_timer(std::int64_t due_ms, std::string_view id, std::string_view stage, std::string_view workspace) {
  ops_.push_back({cf::timers, k::put, timer_key(due_ms, id, stage), {}});
  count(workspace, "delayed", 1);
}

void write_set::delete_timer(std::int64_t due_ms, std::string_view id, std::string_view stage, std::string_view workspace) {
  ops_.push_back({cf::timers, k::erase, timer_key(due_ms, id, stage), {}});
  count(workspace, "delayed", -1);
}

void write_set::put_dead_letter(std::string_view id, std::string_view stage, std::string_view workspace, std::string json) {
  ops_.push_back({cf::dlq, k::put, dlq_key(id, stage), std::move(json)});
  count(workspace, "dlq", 1);
}

void write_set::delete_dead_letter(std::string_view id, std::string_view stage, std::string_view workspace) {
  ops_.push_back({cf::dlq, k::erase, dlq_key(id, stage), {}});
  count(workspace, "dlq", -1);
}

void write_set::put_stage_data(std::string key, std::optional<std::string> value) {
  ops_.push_back({cf::stage_data, value ? k::put : k::erase, std::move(key), value.value_or("")});
}

void write_set::record_duration(std::string_view workspace, std::int64_t ms) {
  count(workspace, "duration/count", 1);
  count(workspace, "duration/sum", ms);
  for (auto bound : duration_buckets_ms)
    if (ms <= bound) return count(workspace, "duration/le_" + std::to_string(bound), 1);
  count(workspace, "duration/le_inf", 1);
}

void write_set::put_theme(const core::item& it, std::string_view theme) {
  ops_.push_back({cf::index, k::put, index_workspace_theme_key(it.workspace, theme, it.id), it.owner});
}

void write_set::delete_theme(const core::item& it, std::string_view theme) {
  ops_.push_back({cf::index, k::erase, index_workspace_theme_key(it.workspace, theme, it.id), {}});
}

void write_set::delete_item(const core::item& it, const core::pipeline& p, const core::item_state& s) {
  deltas_.erase(std::remove_if(deltas_.begin(), deltas_.end(), [&](const open_delta& d) { return ops_[d.op].key == it.id; }),
                deltas_.end());
  ops_.push_back({cf::items, k::erase, it.id, {}});
  leave(it, s.status);
  count(it.workspace, std::string(core::to_string(s.status)), -1);
  for (std::size_t i = 0; i < p.size() && i < s.stages.size(); ++i) {
    const auto& name = p.stages()[i].name;
    const auto& st = s.stages[i];
    if (st.letter_open) delete_dead_letter(it.id, name, it.workspace);
    if (st.status == core::stage_status::retrying) delete_timer(st.next_due_ms, it.id, name, it.workspace);
  }
}

void write_set::park_item(const core::item& it) {
  // The queue entry was put once since it was last erased (see leave()).
  ops_.push_back({cf::queue, k::single_erase, queue_key(it.owner, it.id), {}});
  ops_.push_back({cf::index, k::put, index_parked_key(it.owner, it.id), it.workspace});
}

void write_set::unpark_item(const core::item& it) {
  ops_.push_back({cf::index, k::erase, index_parked_key(it.owner, it.id), {}});
  ops_.push_back({cf::queue, k::put, queue_key(it.owner, it.id), it.workspace});
}

void write_set::put_row_key(std::string_view workspace, std::string_view row_key, std::string_view item_id) {
  ops_.push_back({cf::index, k::put, index_row_key(workspace, row_key), std::string(item_id)});
}

void write_set::put_import(std::string_view import_id, std::string_view owner, std::string report_json) {
  std::string value(owner);
  value += '\0';
  value += report_json;
  ops_.push_back({cf::index, k::put, import_key(import_id), std::move(value)});
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

void write_set::keep_room_seq(std::string_view room, std::uint64_t seq) {
  std::string v;
  put_be64(v, seq);
  ops_.push_back({cf::meta, k::put, room_seq_key(room), std::move(v)});
}

void write_set::put_raw(cf family, std::string key, std::string value) {
  ops_.push_back({family, k::put, std::move(key), std::move(value)});
}

void write_set::erase_raw(cf family, std::string key) {
  ops_.push_back({family, family == cf::queue ? k::single_erase : k::erase, std::move(key), {}});
}

void write_set::applied(std::string_view room, std::string_view origin, std::uint64_t outbox_seq) {
  std::string v;
  put_be64(v, outbox_seq);
  ops_.push_back({cf::meta, k::put, applied_key(room, origin), std::move(v)});
}

void write_set::reload(std::vector<std::string> workspaces, std::vector<std::string> rooms) {
  for (auto& w : workspaces) reload_workspaces_.push_back(std::move(w));
  for (auto& r : rooms) reload_rooms_.push_back(std::move(r));
}

void write_set::count(std::string_view workspace, std::string field, std::int64_t delta) {
  counters_.push_back(counter_delta{std::string(workspace), std::move(field), delta});
}

void write_set::put(cf family, std::string key, std::string value) {
  ops_.push_back({family, k::put, std::move(key), std::move(value)});
}

void write_set::erase(cf family, std::string key) { ops_.push_back({family, k::erase, std::move(key), {}}); }

void write_set::emit(std::string room, std::string json_tail) {
  events_.push_back({std::move(room), std::move(json_tail)});
}

void write_set::seal() {
  for (auto& d : deltas_) ops_[d.op].value = encode_delta(d.delta, d.created_at_ms);
  deltas_.clear();
  // A delta the item's delete made pointless, or one left empty, writes nothing.
  ops_.erase(std::remove_if(ops_.begin(), ops_.end(), [](const op& o) { return o.what == k::merge && o.value.empty(); }),
             ops_.end());
}

}  // namespace pw::store
