// The agent's bookkeeping that is not a link or a message: which CAF node ids
// proved the cluster secret, and the slots arriving in handoffs (what was
// imported, when a slot may settle, what a lost sender leaves behind).
#include <caf/node_id.hpp>

#include "cluster/agent_impl.hpp"

namespace pw::cluster {

void trusted_nodes::add(const caf::node_id& id, const std::string& node) {
  std::lock_guard lock(mu_);
  nodes_[id] = node;
}

std::optional<std::string> trusted_nodes::name_of(const caf::node_id& id) const {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(id);
  if (it == nodes_.end()) return std::nullopt;
  return it->second;
}

void imports::begin(std::uint64_t handoff, const std::string& from, const std::vector<std::uint32_t>& slots) {
  std::lock_guard lock(mu_);
  auto& r = running_[handoff];
  r.from = from;
  r.slots = slots;
}

void imports::add(std::uint64_t handoff, const store::handoff_scan& what) {
  std::lock_guard lock(mu_);
  auto it = running_.find(handoff);
  if (it != running_.end()) it->second.workspaces.insert(what.workspaces.begin(), what.workspaces.end());
}

std::vector<std::uint32_t> imports::end(std::uint64_t handoff, const std::vector<std::uint32_t>& committed,
                                        std::uint64_t read_seq) {
  std::lock_guard lock(mu_);
  auto it = running_.find(handoff);
  if (it == running_.end()) return {};
  std::vector<std::uint32_t> dropped;
  std::set<std::uint32_t> ok(committed.begin(), committed.end());
  for (auto s : it->second.slots) {
    unsettled_.insert(s);
    settle_after_[s] = read_seq;
    if (!ok.count(s)) dropped.push_back(s);
  }
  workspaces_.insert(it->second.workspaces.begin(), it->second.workspaces.end());
  running_.erase(it);
  return dropped;
}

bool imports::may_settle(std::uint32_t slot, std::uint64_t view_read_seq) const {
  std::lock_guard lock(mu_);
  auto it = settle_after_.find(slot);
  return it == settle_after_.end() || view_read_seq >= it->second;
}

void imports::abandon(const std::string& node, std::uint64_t read_seq) {
  std::lock_guard lock(mu_);
  for (auto it = running_.begin(); it != running_.end();) {
    if (it->second.from != node) {
      ++it;
      continue;
    }
    unsettled_.insert(it->second.slots.begin(), it->second.slots.end());
    for (auto s : it->second.slots) settle_after_[s] = read_seq;
    workspaces_.insert(it->second.workspaces.begin(), it->second.workspaces.end());
    it = running_.erase(it);
  }
}

bool imports::arriving(std::uint32_t slot) const {
  std::lock_guard lock(mu_);
  for (const auto& [id, r] : running_)
    for (auto s : r.slots)
      if (s == slot) return true;
  return false;
}

std::vector<std::uint32_t> imports::unsettled() const {
  std::lock_guard lock(mu_);
  return {unsettled_.begin(), unsettled_.end()};
}

std::set<std::string> imports::settle(std::uint32_t slot, std::uint32_t slot_count) {
  std::lock_guard lock(mu_);
  std::set<std::string> out;
  unsettled_.erase(slot);
  settle_after_.erase(slot);
  for (auto it = workspaces_.begin(); it != workspaces_.end();) {
    if (core::slot_of_workspace(*it, slot_count) == slot) {
      out.insert(*it);
      it = workspaces_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

}  // namespace pw::cluster
