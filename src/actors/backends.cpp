#include "actors/backends.hpp"

#include <spdlog/spdlog.h>

#include "stages/builtin_models.hpp"
#include "store/slot_keys.hpp"

namespace pw::actors {

namespace {

// A backend's view of the store: only its own namespace, prefix stripped.
class namespaced_reader final : public stages::state_reader {
 public:
  namespaced_reader(const store::database& db, std::string ns) : db_(db), ns_(std::move(ns)) {}
  void scan(std::string_view prefix,
            const std::function<void(std::string_view, std::string_view)>& fn) const override {
    db_.scan_stage_data(ns_ + std::string(prefix),
                        [&](std::string_view k, std::string_view v) { fn(k.substr(ns_.size()), v); });
  }

 private:
  const store::database& db_;
  std::string ns_;
};

// The same view, showing only keys of some workspaces.
class workspaces_reader final : public stages::state_reader {
 public:
  workspaces_reader(const store::database& db, std::string ns, const std::set<std::string>& workspaces)
      : db_(db), ns_(std::move(ns)), workspaces_(workspaces) {}
  void scan(std::string_view prefix,
            const std::function<void(std::string_view, std::string_view)>& fn) const override {
    db_.scan_stage_data(ns_ + std::string(prefix), [&](std::string_view k, std::string_view v) {
      auto ws = store::stage_data_workspace(k);
      if (ws && workspaces_.count(std::string(*ws))) fn(k.substr(ns_.size()), v);
    });
  }

 private:
  const store::database& db_;
  std::string ns_;
  const std::set<std::string>& workspaces_;
};

}  // namespace

core::result<std::map<std::string, pipeline_binding>> bind_pipelines(const core::config& cfg,
                                                                     const store::database& db,
                                                                     stages::providers::hub* hub,
                                                                     const stages::asset::services* assets) {
  std::map<std::string, pipeline_binding> out;
  bool models_logged = false;
  for (const auto& [name, p] : cfg.pipelines) {
    pipeline_binding b;
    b.pipeline = &p;
    for (const auto& spec : p.stages()) {
      auto backend = stages::make_backend(p, spec, hub, assets);
      if (!backend) return std::move(backend).err();
      std::string prefix = name + "/" + spec.name + "/";
      backend.value()->restore(namespaced_reader(db, prefix));
      b.stages.push_back(stage_binding{std::move(backend).value(), std::move(prefix)});
    }
    spdlog::info("event=pipeline.bound pipeline={} stages={}", name, p.size());
    bool builtin = false;
    for (const auto& spec : p.stages()) builtin = builtin || spec.backend == "builtin";
    if (builtin && !models_logged) {
      models_logged = true;
      const auto m = stages::builtin::loaded_models();
      spdlog::info("event=ai.models.loaded version=\"{}\" bytes={} feature_rows={} sha256={} load_ms={:.1f}", m.version,
                   m.bytes, m.rows, m.sha256.substr(0, 16), m.load_ms);
    }
    out.emplace(name, std::move(b));
  }
  return out;
}

void restore_workspaces(const std::map<std::string, pipeline_binding>& pipelines, const store::database& db,
                        const std::set<std::string>& workspaces) {
  if (workspaces.empty()) return;
  for (const auto& [name, b] : pipelines)
    for (const auto& s : b.stages) s.backend->restore(workspaces_reader(db, s.data_prefix, workspaces));
}

void forget_workspaces(const std::map<std::string, pipeline_binding>& pipelines, const std::set<std::string>& workspaces) {
  for (const auto& [name, b] : pipelines)
    for (const auto& s : b.stages)
      for (const auto& ws : workspaces) s.backend->forget_workspace(ws);
}

}  // namespace pw::actors
