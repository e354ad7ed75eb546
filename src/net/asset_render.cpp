#include "net/asset_render.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include "actors/asset_lifecycle.hpp"
#include "core/asset.hpp"
#include "core/clock.hpp"
#include "core/json.hpp"
#include "stages/asset/metadata.hpp"

namespace pw::net {

namespace {

using boost::json::object;

object parse_object(std::string_view json) {
  boost::system::error_code ec;
  auto v = boost::json::parse(json, ec);
  return !ec && v.is_object() ? std::move(v.as_object()) : object{};
}

boost::json::value time_or_null(std::int64_t ms) {
  return ms > 0 ? boost::json::value(core::iso8601(ms)) : boost::json::value(nullptr);
}

// The stage results of a record, parsed.
std::vector<std::pair<std::string, object>> results_of(const store::item_record& rec) {
  std::vector<std::pair<std::string, object>> out;
  for (const auto& [stage, json] : rec.results) out.emplace_back(stage, parse_object(json));
  return out;
}

object head(const store::item_record& rec) {
  const auto& it = rec.item;
  auto meta = parse_object(it.metadata_json);
  object o;
  o["id"] = it.id;
  o["assetId"] = it.id;
  o["jobId"] = it.id;
  o["owner"] = it.owner;
  o["workspace"] = it.workspace;
  o["category"] = meta.contains("category") ? meta.at("category") : boost::json::value(nullptr);
  o["title"] = it.title ? boost::json::value(*it.title) : boost::json::value(nullptr);
  o["status"] = core::to_string(core::asset_status_of(rec.header.status));
  o["job_status"] = core::to_string(rec.header.status);
  o["created_at"] = core::iso8601(it.created_at_ms);
  o["processed_at"] = core::is_terminal(rec.header.status) ? time_or_null(rec.header.completed_at_ms)
                                                            : boost::json::value(nullptr);
  return o;
}

}  // namespace

std::string render_asset(const store::item_record& rec, const core::pipeline& p) {
  auto o = head(rec);
  const auto& it = rec.item;
  auto meta = parse_object(it.metadata_json);
  object upload;
  for (auto k : {"filename", "bytes", "sha256", "content_type", "declared_type", "format", "width", "height"})
    if (auto* v = meta.if_contains(k)) upload[k] = *v;
  o["upload"] = std::move(upload);
  o["image_url"] = fmt::format("/api/v1/assets/{}/image", it.id);

  auto results = results_of(rec);
  auto state = rec.state_for(p);
  auto lookup = [&](std::string_view stage) -> const object* {
    auto i = p.index_of(stage);
    if (!i || state.stages[*i].status != core::stage_status::completed) return nullptr;
    for (const auto& [name, r] : results)
      if (name == stage) return &r;
    return nullptr;
  };
  const std::string category = meta.contains("category") && meta.at("category").is_string()
                                   ? std::string(meta.at("category").as_string())
                                   : std::string();
  o["metadata"] = stages::asset::asset_metadata(lookup, category);
  const auto status = core::asset_status_of(rec.header.status);
  o["error"] = status == core::asset_status::failed ? boost::json::value(actors::asset_error(p, state))
                                                    : boost::json::value(nullptr);
  object stages;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const auto& st = state.stages[i];
    object s{{"status", core::to_string(st.status)}, {"attempts", st.attempts}};
    if (!st.error.empty() && st.status != core::stage_status::completed) s["error"] = st.error;
    if (st.status == core::stage_status::retrying) s["next_retry_at"] = time_or_null(st.next_due_ms);
    stages[p.stages()[i].name] = std::move(s);
  }
  o["stages"] = std::move(stages);
  return core::to_json(o);
}

std::string render_asset_summary(const store::item_record& rec) {
  auto o = head(rec);
  for (const auto& [stage, json] : rec.results) {
    if (stage != "extract") continue;
    auto x = parse_object(json);
    for (auto k : {"brand", "model", "confidence"})
      if (auto* v = x.if_contains(k)) o[k] = *v;
  }
  return core::to_json(o);
}

}  // namespace pw::net
