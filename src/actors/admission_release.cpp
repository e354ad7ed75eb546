// Admission in a cluster: a slot handed to another node stops running here
// first (docs/cluster.md "Handoff and drain").
#include <set>

#include "actors/admission_impl.hpp"

namespace pw::actors {

void admission_state::release(const release_ptr& job) {
  for (auto s : job->slots) released_slots_.insert(s);
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    auto ws = it->second ? it->second->item.workspace : workspace_of_waiting(it->first);
    it = released(ws) ? waiting_.erase(it) : std::next(it);
  }
  releases_.push_back(job);
  for (auto& [addr, sup] : active_)
    if (released(sup.workspace)) self_->send(sup.handle, drain_atom::value);
  publish_counts();
  finish_releases();
}

void admission_state::resume_slots(const slots_ptr& slots) {
  for (auto s : *slots) released_slots_.erase(s);
}

std::string admission_state::workspace_of_waiting(const std::string& id) const {
  for (const auto& [ws, q] : queue_by_workspace_)
    for (const auto& e : q)
      if (e.id == id) return ws;
  return {};
}

void admission_state::finish_releases() {
  if (releases_.empty()) return;
  for (auto it = releases_.begin(); it != releases_.end();) {
    std::set<std::uint32_t> slots((*it)->slots.begin(), (*it)->slots.end());
    bool busy = false;
    for (const auto& [addr, sup] : active_) busy = busy || slots.count(slot_of(sup.workspace));
    for (const auto& [id, s] : starting_) busy = busy || slots.count(slot_of(s.workspace));
    for (const auto& [ws, n] : accepting_by_workspace_) busy = busy || slots.count(slot_of(ws));
    if (busy) {
      ++it;
      continue;
    }
    (*it)->done();
    it = releases_.erase(it);
  }
}

}  // namespace pw::actors
