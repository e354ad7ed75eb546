#include "config.hpp"

#include "tokens.hpp"

namespace pwtest {

namespace {

const std::pair<const char*, const char*> stages[] = {
    {"embed", "[]"},
    {"classify", "[\"embed\"]"},
    {"sentiment", "[\"embed\"]"},
    {"urgency", "[\"embed\"]"},
    {"duplicate", "[\"embed\"]"},
    {"theme", "[\"embed\"]"},
    {"priority", "[\"sentiment\", \"urgency\", \"classify\", \"duplicate\"]"},
};

}  // namespace

config_builder::config_builder() {
  sections_["log"] = "level = \"info\"\n";  // a section: tests may add keys (format)
  top_ = "[auth]\njwt_secret = \"" + test_secret + "\"\n\n"
         "[supervision]\nmax_attempts = 3\ninitial_backoff_ms = 20\nmultiplier = 2.0\nmax_backoff_ms = 200\n"
         "jitter = 0.2\ntimeout_ms = 5000\n\n";
}

config_builder& config_builder::top(const std::string& toml) {
  top_ += toml + "\n";
  return *this;
}

config_builder& config_builder::section(const std::string& table, const std::string& keys) {
  sections_[table] += keys;
  return *this;
}

config_builder& config_builder::stage(const std::string& name, const std::string& keys) {
  stage_keys_[name] += keys;
  return *this;
}

config_builder& config_builder::asset_pipeline(const std::string& toml) {
  asset_pipeline_ = toml;
  return *this;
}

config_builder& config_builder::backend(const std::string& name) {
  backend_ = name;
  return *this;
}

config_builder& config_builder::stage_backend(const std::string& stage, const std::string& backend) {
  stage_backends_[stage] = backend;
  return *this;
}

config_builder& config_builder::chaos(const std::string& name, const std::string& keys) {
  chaos_keys_[name] += keys;
  return *this;
}

std::string config_builder::str() const {
  std::string out = top_;
  auto sections = sections_;
  if (sections["limits"].find("submit_rate_per_user") == std::string::npos)
    sections["limits"] += "submit_rate_per_user = 0\n";
  for (const auto& [table, keys] : sections) out += "[" + table + "]\n" + keys + "\n";
  for (auto [name, after] : stages) {
    const bool chaotic = chaos_keys_.count(name) > 0;
    out += std::string("[pipelines.feedback.stages.") + name + "]\n";
    auto own = stage_backends_.find(name);
    const std::string backend = chaotic ? std::string("chaos") : own != stage_backends_.end() ? own->second : backend_;
    out += "backend = \"" + backend + "\"\n";
    out += std::string("after = ") + after + "\n";
    if (auto it = stage_keys_.find(name); it != stage_keys_.end()) out += it->second;
    out += "\n";
    if (chaotic) out += std::string("[pipelines.feedback.stages.") + name + ".chaos]\n" + chaos_keys_.at(name) + "\n";
  }
  out += asset_pipeline_;
  return out;
}

}  // namespace pwtest
