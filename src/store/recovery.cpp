#include "store/recovery.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/kill_point.hpp"


namespace pw::store {

std::optional<stored_item> load_item(const database& db, std::string_view id,
                                     const std::map<std::string, core::pipeline>& pipelines) {
  auto rec = db.record(id);
  if (!rec) return std::nullopt;
  auto p = pipelines.find(rec->item.pipeline);
  if (p == pipelines.end()) return std::nullopt;
  stored_item out{std::move(rec->item), rec->state_for(p->second), {}};
  for (auto& [stage, json] : rec->results) {
    auto idx = p->second.index_of(stage);
    if (idx && out.state.stages[*idx].status == core::stage_status::completed)
      out.results.emplace_back(std::move(stage), std::move(json));
  }
  return out;
}

recovery_report recover(const database& db, std::size_t batch_size,
                        const std::function<void(std::vector<queued_ref>&&)>& on_batch) {
  recovery_report report;
  // The queue is keyed by owner; items resume in acceptance order (ids are
  // ULIDs: time order).
  std::vector<queued_ref> all;
  db.scan_queue([&](std::string_view owner, std::string_view id, std::string_view workspace) {
    if (owner.empty() || id.empty()) {
      ++report.unreadable;
      spdlog::error("event=recovery.unreadable reason=\"queue key of an unknown layout\"");
      return;
    }
    all.push_back(queued_ref{std::string(id), std::string(workspace)});
  });
  std::sort(all.begin(), all.end(), [](const queued_ref& a, const queued_ref& b) { return a.id < b.id; });
  report.resumed = all.size();
  std::vector<queued_ref> batch;
  for (auto& r : all) {
    batch.push_back(std::move(r));
    if (batch.size() >= batch_size) {
      PW_KILL_POINT(recovery_batch);
      on_batch(std::move(batch));
      batch.clear();
    }
  }
  if (!batch.empty()) {
    PW_KILL_POINT(recovery_batch);
    on_batch(std::move(batch));
  }
  return report;
}

}  // namespace pw::store
