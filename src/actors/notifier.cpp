#include "actors/notifier.hpp"

#include <algorithm>
#include <mutex>

namespace pw::actors {

void notifier::join(const std::shared_ptr<event_sink>& sink) {
  std::unique_lock lock(mu_);
  for (const auto& room : sink->rooms()) rooms_[room].push_back(sink);
  // Under the lock: no publish runs between the sink's rooms and its replay
  // point, so an event is either in the store before joined() or delivered.
  sink->joined();
}

void notifier::join_quiet(const std::shared_ptr<event_sink>& sink) {
  std::unique_lock lock(mu_);
  for (const auto& room : sink->rooms()) rooms_[room].push_back(sink);
}

void notifier::interrupt(const std::string& room) const {
  std::vector<std::shared_ptr<event_sink>> sinks;
  {
    std::shared_lock lock(mu_);
    auto it = rooms_.find(room);
    if (it == rooms_.end()) return;
    sinks = it->second;
  }
  for (const auto& s : sinks) s->interrupted(room);
}

void notifier::for_each_room(const std::function<void(const std::string&)>& fn) const {
  std::vector<std::string> rooms;
  {
    std::shared_lock lock(mu_);
    for (const auto& [room, sinks] : rooms_) rooms.push_back(room);
  }
  for (const auto& r : rooms) fn(r);
}

bool notifier::has_room(const std::string& room) const {
  std::shared_lock lock(mu_);
  return rooms_.count(room) > 0;
}

void notifier::leave(const std::shared_ptr<event_sink>& sink) {
  std::unique_lock lock(mu_);
  for (const auto& room : sink->rooms()) {
    auto it = rooms_.find(room);
    if (it == rooms_.end()) continue;
    auto& v = it->second;
    v.erase(std::remove(v.begin(), v.end(), sink), v.end());
    if (v.empty()) rooms_.erase(it);
  }
}

void notifier::publish(const std::vector<store::committed_event>& events) const {
  std::shared_lock lock(mu_);
  for (const auto& e : events) {
    auto it = rooms_.find(e.room);
    if (it == rooms_.end()) continue;
    for (const auto& sink : it->second) sink->deliver(e.room, e.seq, e.frame, e.committed_ns);
  }
}

void notifier::publish_live(std::shared_ptr<const std::string> frame) const {
  std::shared_lock lock(mu_);
  auto it = rooms_.find(std::string(store::admins_room));
  if (it == rooms_.end()) return;
  for (const auto& sink : it->second) sink->deliver_live(frame);
}

std::size_t notifier::sockets() const {
  std::shared_lock lock(mu_);
  std::size_t n = 0;
  for (const auto& [room, sinks] : rooms_) n += sinks.size();
  return n;
}

}  // namespace pw::actors
