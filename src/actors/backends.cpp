#include "actors/backends.hpp"

#include <spdlog/spdlog.h>

#include "stages/builtin_models.hpp"

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

}  // namespace

core::result<std::map<std::string, pipeline_binding>> bind_pipelines(const core::config& cfg,
                                                                     const store::database& db,
                                                                     const stages::asset::services* assets) {
  std::map<std::string, pipeline_binding> out;
  bool models_logged = false;
  for (const auto& [name, p] : cfg.pipelines) {
    pipeline_binding b;
    b.pipeline = &p;
    for (const auto& spec : p.stages()) {
      auto backend = stages::make_backend(p, spec, assets);
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

}  // namespace pw::actors
