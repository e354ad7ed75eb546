#include "core/pipeline.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace pw::core {

bool valid_identifier(std::string_view s) noexcept {
  if (s.empty() || s.size() > 32 || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

std::optional<stage_index> pipeline::index_of(std::string_view stage_name) const noexcept {
  for (std::size_t i = 0; i < stages_.size(); ++i)
    if (stages_[i].name == stage_name) return static_cast<stage_index>(i);
  return std::nullopt;
}

std::vector<stage_index> pipeline::downstream_of(stage_index root) const {
  std::vector<bool> in(stages_.size(), false);
  in.at(root) = true;
  std::vector<stage_index> out;
  // Topological order means one forward pass reaches every descendant.
  for (std::size_t i = root; i < stages_.size(); ++i) {
    if (!in[i]) {
      for (auto d : stages_[i].deps)
        if (in[d]) { in[i] = true; break; }
    }
    if (in[i]) out.push_back(static_cast<stage_index>(i));
  }
  return out;
}

namespace {

// Finds a cycle among `unplaced` stages for the error message.
std::string describe_cycle(const std::vector<stage_spec>& stages, const std::map<std::string, std::size_t>& by_name,
                           const std::vector<bool>& placed) {
  std::size_t start = 0;
  while (placed[start]) ++start;
  std::vector<std::size_t> path{start};
  std::vector<int> seen(stages.size(), -1);
  seen[start] = 0;
  std::size_t cur = start;
  for (;;) {
    std::size_t next = cur;
    for (auto& dep : stages[cur].after) {
      auto j = by_name.at(dep);
      if (!placed[j]) { next = j; break; }
    }
    if (seen[next] >= 0) {
      std::string text;
      for (std::size_t k = static_cast<std::size_t>(seen[next]); k < path.size(); ++k)
        text += stages[path[k]].name + " -> ";
      return text + stages[next].name;
    }
    seen[next] = static_cast<int>(path.size());
    path.push_back(next);
    cur = next;
  }
}

}  // namespace

result<pipeline> build_pipeline(std::string name, std::vector<stage_spec> stages, std::string_view key_prefix) {
  if (stages.empty()) return make_error(errc::validation_failed, fmt::format("{}: a pipeline needs at least one stage", key_prefix));
  if (stages.size() > max_stages)
    return make_error(errc::validation_failed, fmt::format("{}: at most {} stages", key_prefix, max_stages));
  std::map<std::string, std::size_t> by_name;
  for (std::size_t i = 0; i < stages.size(); ++i) {
    const auto& s = stages[i];
    if (!valid_identifier(s.name))
      return make_error(errc::validation_failed,
                        fmt::format("{}.{}: stage names are [a-z0-9_], 1-32 characters", key_prefix, s.name));
    if (!by_name.emplace(s.name, i).second)
      return make_error(errc::validation_failed, fmt::format("{}.{}: stage declared twice", key_prefix, s.name));
  }
  for (const auto& s : stages) {
    for (const auto& dep : s.after) {
      if (dep == s.name)
        return make_error(errc::validation_failed, fmt::format("{}.{}.after: a stage cannot depend on itself", key_prefix, s.name));
      if (!by_name.count(dep))
        return make_error(errc::validation_failed, fmt::format("{}.{}.after: unknown stage '{}'", key_prefix, s.name, dep));
    }
    for (std::size_t a = 0; a < s.after.size(); ++a)
      if (std::find(s.after.begin() + static_cast<std::ptrdiff_t>(a) + 1, s.after.end(), s.after[a]) != s.after.end())
        return make_error(errc::validation_failed,
                          fmt::format("{}.{}.after: '{}' listed twice", key_prefix, s.name, s.after[a]));
  }
  // Kahn's algorithm, one DAG layer at a time; within a layer, declaration
  // order. So stages list as embed, then its dependents, and so on.
  std::vector<bool> placed(stages.size(), false);
  std::vector<std::size_t> order;
  while (order.size() < stages.size()) {
    std::vector<std::size_t> layer;
    for (std::size_t i = 0; i < stages.size(); ++i) {
      if (placed[i]) continue;
      bool ready = std::all_of(stages[i].after.begin(), stages[i].after.end(),
                               [&](const std::string& d) { return placed[by_name.at(d)]; });
      if (ready) layer.push_back(i);
    }
    for (auto i : layer) {
      placed[i] = true;
      order.push_back(i);
    }
    if (layer.empty())
      return make_error(errc::validation_failed,
                        fmt::format("{}: dependency cycle {}", key_prefix, describe_cycle(stages, by_name, placed)));
  }
  pipeline p;
  p.name_ = std::move(name);
  std::vector<std::size_t> position(stages.size());
  for (std::size_t k = 0; k < order.size(); ++k) position[order[k]] = k;
  for (auto i : order) p.stages_.push_back(std::move(stages[i]));
  for (std::size_t k = 0; k < p.stages_.size(); ++k) {
    auto& s = p.stages_[k];
    for (auto& dep : s.after) {
      s.deps.push_back(static_cast<stage_index>(position[by_name.at(dep)]));
    }
    std::sort(s.deps.begin(), s.deps.end());
    for (auto d : s.deps) p.stages_[d].dependents.push_back(static_cast<stage_index>(k));
  }
  return p;
}

}  // namespace pw::core
