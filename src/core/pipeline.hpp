// A pipeline: the DAG of stages an item runs through (DESIGN §2), declared in
// config and validated once at start.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/chaos_spec.hpp"
#include "core/result.hpp"
#include "core/supervision.hpp"

namespace pw::core {

using stage_index = std::uint16_t;
inline constexpr std::size_t max_stages = 64;

// A backend-specific setting from a stage's `options` table.
using option_value = std::variant<bool, std::int64_t, double, std::string>;

struct stage_spec {
  std::string name;
  std::vector<std::string> after;  // hard dependencies, by name
  std::string backend;             // "synthetic", "chaos", "builtin", ...
  retry_policy retry;
  millis timeout{30000};
  std::optional<chaos_spec> chaos;
  std::map<std::string, option_value> options;  // read and validated by the backend
  // External backends (`http`, `batch`): the provider (a [providers.<name>]
  // table) and the model; empty: "openai" and the stage kind's default model.
  std::string provider;
  std::string model;
  // An attempt survives a restart or a parked supervisor (the `batch`
  // backend: the request is durable at the provider): item_run::begin keeps
  // it processing and the supervisor asks the backend again.
  bool resumable = false;

  // Filled in by build_pipeline.
  std::vector<stage_index> deps;
  std::vector<stage_index> dependents;
};

class pipeline {
 public:
  const std::string& name() const noexcept { return name_; }
  // Topologically ordered: every stage comes after its dependencies.
  const std::vector<stage_spec>& stages() const noexcept { return stages_; }
  std::size_t size() const noexcept { return stages_.size(); }
  const stage_spec& stage(stage_index i) const { return stages_.at(i); }
  std::optional<stage_index> index_of(std::string_view stage_name) const noexcept;
  // `root` and every stage that depends on it, directly or not, in topological order.
  std::vector<stage_index> downstream_of(stage_index root) const;

 private:
  friend result<pipeline> build_pipeline(std::string, std::vector<stage_spec>, std::string_view);
  std::string name_;
  std::vector<stage_spec> stages_;
};

// Validates names, dependencies and acyclicity, and orders the stages.
// `key_prefix` (e.g. "pipelines.feedback.stages") names the config key in
// every error.
result<pipeline> build_pipeline(std::string name, std::vector<stage_spec> stages, std::string_view key_prefix);

bool valid_identifier(std::string_view s) noexcept;  // [a-z0-9_]{1,32}, not starting with a digit

}  // namespace pw::core
