#include "actors/asset_lifecycle.hpp"

#include "core/asset.hpp"
#include "core/json.hpp"
#include "stages/asset/metadata.hpp"
#include "stages/asset/stages.hpp"
#include "store/assets.hpp"

namespace pw::actors {

std::string asset_error(const core::pipeline& p, const core::item_state& s) {
  for (std::size_t i = 0; i < s.stages.size(); ++i) {
    const auto& st = s.stages[i];
    if (st.status != core::stage_status::failed) continue;
    // The last attempt's own words, and how many attempts it took.
    if (!st.log.empty() && !st.log.back().error.empty())
      return p.stages()[i].name + ": " + st.log.back().error +
             (st.attempts > 1 ? " (after " + std::to_string(st.attempts) + " attempts)" : std::string());
    return p.stages()[i].name + ": " + st.error;
  }
  if (s.status == core::item_status::cancelled) return "the analysis was cancelled";
  for (std::size_t i = 0; i < s.stages.size(); ++i)
    if (s.stages[i].status == core::stage_status::skipped) return p.stages()[i].name + ": " + s.stages[i].error;
  return "the analysis did not complete";
}

std::string asset_processed_event(const core::item& it, const core::pipeline& p, const core::item_state& s,
                                  const stages::stage_results& results) {
  const auto status = core::asset_status_of(s.status);
  std::string out = "\"type\":\"asset_processed\",\"assetId\":";
  core::append_json_string(out, it.id);
  out += ",\"jobId\":";
  core::append_json_string(out, it.id);
  out += ",\"item_id\":";
  core::append_json_string(out, it.id);
  out += ",\"workspace\":";
  core::append_json_string(out, it.workspace);
  out += ",\"status\":";
  core::append_json_string(out, core::to_string(status));
  if (status == core::asset_status::active) {
    out += ",\"metadata\":";
    out += core::to_json(stages::asset::asset_metadata([&](std::string_view stage) { return results.find(stage); },
                                                       stages::asset::category_of(it)));
  } else {
    out += ",\"error\":";
    core::append_json_string(out, asset_error(p, s));
  }
  return out;
}

void add_asset_changes(store::write_set& ws, const core::item& it, const core::pipeline& p, core::item_state& s,
                       const std::vector<core::history_entry>& step_history, const stages::stage_results& results) {
  bool processed = false;
  for (const auto& e : step_history) {
    if (!e.stage.empty()) continue;
    auto from = core::parse_item_status(e.from);
    auto to = core::parse_item_status(e.to);
    if (!from || !to) continue;
    const auto a = core::asset_status_of(*from), b = core::asset_status_of(*to);
    if (a == b) continue;
    std::string cause = b == core::asset_status::active     ? "analysis completed"
                        : b == core::asset_status::failed   ? asset_error(p, s)
                                                            : "analysis job queued again (" + e.cause + ")";
    auto entry = core::asset_transition(a, b, e.at_ms, std::move(cause));
    if (!entry) continue;  // the table refuses nothing the item's own machine allows; keep the step either way
    ws.append_history(it, entry.value());
    ++s.history_seq;
    store::count_asset(ws, it.workspace, a, b);
    processed = b == core::asset_status::active || b == core::asset_status::failed;
  }
  if (processed) ws.emit(it.owner, asset_processed_event(it, p, s, results));
}

}  // namespace pw::actors
