#include <algorithm>

#include <fmt/format.h>

#include "stages/asset/stages.hpp"
#include "stages/asset/worker_stage.hpp"
#include "stages/builtin.hpp"
#include "stages/providers/external.hpp"
#include "stages/stage.hpp"
#include "stages/synthetic.hpp"

namespace pw::stages {

void stage_results::set(std::string stage, std::shared_ptr<const boost::json::object> result) {
  for (auto& e : entries_)
    if (e.first == stage) {
      e.second = std::move(result);
      return;
    }
  entries_.emplace_back(std::move(stage), std::move(result));
}

const boost::json::object* stage_results::find(std::string_view stage) const noexcept {
  for (const auto& e : entries_)
    if (e.first == stage) return e.second.get();
  return nullptr;
}

void stage_results::erase(std::string_view stage) {
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(), [&](const entry& e) { return e.first == stage; }),
                 entries_.end());
}

namespace {

// The algorithm a stage runs: its `options.kind`, or else its name.
core::result<std::string> kind_of(const core::pipeline& p, const core::stage_spec& s) {
  auto it = s.options.find("kind");
  if (it == s.options.end()) return s.name;
  if (auto* k = std::get_if<std::string>(&it->second)) return *k;
  return core::make_error(core::errc::validation_failed,
                          fmt::format("config: pipelines.{}.stages.{}.options.kind: expected a string", p.name(), s.name));
}

}  // namespace

core::result<std::shared_ptr<stage_backend>> make_backend(const core::pipeline& p, const core::stage_spec& s,
                                                          providers::hub* hub, const asset::services* assets) {
  const std::string key = fmt::format("pipelines.{}.stages.{}", p.name(), s.name);
  auto kind = kind_of(p, s);
  if (!kind) return std::move(kind).err();
  if (s.backend == "builtin") return builtin::make(kind.value(), s, key);
  if (s.backend == "http" || s.backend == "batch") {
    if (!hub) return core::make_error(core::errc::internal, fmt::format("{}: no provider hub to build the {} backend", key, s.backend));
    return providers::make_external(kind.value(), s, key, *hub, s.backend == "batch");
  }
  if (s.backend == "image" || s.backend == "worker") {
    if (!assets)
      return core::make_error(core::errc::validation_failed,
                              fmt::format("config: {}.backend: '{}' needs the node's image services", key, s.backend));
    if (s.backend == "image") return asset::make_image_backend(kind.value(), s, key, *assets);
    return asset::make_worker_backend(s, key, *assets);
  }
  for (const auto& [name, value] : s.options)
    if (name != "kind")
      return core::make_error(core::errc::validation_failed,
                              fmt::format("config: {}.options.{}: unknown option for backend '{}'", key, name, s.backend));
  // `chaos` is the synthetic computation with the stage's chaos table applied
  // by the worker; any backend may carry a chaos table.
  if (s.backend == "synthetic" || s.backend == "chaos") {
    if (auto b = synthetic::make(kind.value())) return b;
    return core::make_error(
        core::errc::validation_failed,
        fmt::format("config: {}: the synthetic backend has no stage '{}' (known: embed, classify, sentiment, "
                    "urgency, duplicate, theme, priority; set options.kind to pick one)",
                    key, kind.value()));
  }
  return core::make_error(core::errc::validation_failed,
                          fmt::format("config: {}.backend: unknown backend '{}' (known: builtin, http, batch, synthetic, chaos, image, worker)", key, s.backend));
}

}  // namespace pw::stages
