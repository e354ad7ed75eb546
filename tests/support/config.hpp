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
  // Extra keys for one stage's table (e.g. "max_attempts = 5\ntimeout_ms = 200\n").
  config_builder& stage(const std::string& name, const std::string& keys);
  // The stage's chaos table (keys), which also makes its backend "chaos".
  config_builder& chaos(const std::string& name, const std::string& keys);
  std::string str() const;

 private:
  std::string top_;
  std::map<std::string, std::string> stage_keys_, chaos_keys_;
};

}  // namespace pwtest
