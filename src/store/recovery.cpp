#include "store/recovery.hpp"

#include <spdlog/spdlog.h>

#include "store/codec.hpp"

namespace pw::store {

std::optional<stored_item> load_item(const database& db, std::string_view id,
                                     const std::map<std::string, core::pipeline>& pipelines) {
  auto it = db.item(id);
  if (!it) return std::nullopt;
  auto p = pipelines.find(it->pipeline);
  if (p == pipelines.end()) return std::nullopt;
  auto record = db.state_record(id);
  if (!record) return std::nullopt;
  auto state = decode_state(*record, p->second);
  if (!state) return std::nullopt;
  stored_item out{std::move(*it), std::move(*state), {}};
  for (auto& [stage, json] : db.results(id)) {
    auto idx = p->second.index_of(stage);
    if (idx && out.state.stages[*idx].status == core::stage_status::completed)
      out.results.emplace_back(std::move(stage), std::move(json));
  }
  return out;
}

recovery_report recover(const database& db, std::size_t batch_size,
                        const std::function<void(std::vector<queued_ref>&&)>& on_batch) {
  recovery_report report;
  std::vector<queued_ref> batch;
  db.scan_queue([&](std::string_view id, std::string_view workspace) {
    if (id.empty()) {
      ++report.unreadable;
      spdlog::error("event=recovery.unreadable reason=\"empty queue key\"");
      return;
    }
    batch.push_back(queued_ref{std::string(id), std::string(workspace)});
    ++report.resumed;
    if (batch.size() >= batch_size) {
      on_batch(std::move(batch));
      batch.clear();
    }
  });
  if (!batch.empty()) on_batch(std::move(batch));
  return report;
}

}  // namespace pw::store
