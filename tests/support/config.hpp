// TOML configs for tests: the test secret, fast supervision defaults, and
// the feedback pipeline with per-stage overrides (backend, chaos, retry).
#pragma once

#include <map>
#include <string>

namespace pwtest {

class config_builder {
 public:
  config_builder();
  // Verbatim TOML appended at the top level (e.g. "[store]\nsync = true\n").
  config_builder& top(const std::string& toml);
  // Keys merged into one top-level table, emitted once (e.g. section("limits", "max_body_bytes = 4096\n")).
  // Tests default [limits] submit_rate_per_user to 0 (unlimited) unless they set it.
  config_builder& section(const std::string& table, const std::string& keys);
  // Extra keys for one stage's table (e.g. "max_attempts = 5\ntimeout_ms = 200\n").
  config_builder& stage(const std::string& name, const std::string& keys);
  // The stage's chaos table (keys), which also makes its backend "chaos".
  config_builder& chaos(const std::string& name, const std::string& keys);
  // The backend of every stage without chaos ("synthetic" unless set; "builtin" for the real AI stages).
  config_builder& backend(const std::string& name);
  // The backend of one stage (e.g. "http" or "batch"), over backend().
  config_builder& stage_backend(const std::string& stage, const std::string& backend);
  // Replaces the built-in asset pipeline with these [pipelines.asset.stages.*]
  // tables (assets.hpp has ready-made ones).
  config_builder& asset_pipeline(const std::string& toml);
  std::string str() const;

 private:
  std::string top_;
  std::string asset_pipeline_;
  std::string backend_ = "synthetic";
  std::map<std::string, std::string> sections_, stage_keys_, chaos_keys_, stage_backends_;
};

}  // namespace pwtest
