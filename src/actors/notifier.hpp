// The notifier fans committed events out to rooms (DESIGN §3): a user's room
// holds every socket of that user; the admins room every admin's socket.
// The store writer calls publish() on whichever thread committed the batch,
// in commit order, so an event reaches its sockets' I/O threads with no
// actor hop in between (each socket then writes on its own strand).
#pragma once

#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/gateway.hpp"
#include "store/write_set.hpp"

namespace pw::actors {

class notifier {
 public:
  // Every event published after join() returns reaches the sink.
  void join(const std::shared_ptr<event_sink>& sink);
  // (cluster) The same, without calling sink->joined(): the caller does
  // once the rooms' remote logs are subscribed.
  void join_quiet(const std::shared_ptr<event_sink>& sink);
  // (cluster) Tells every sink of the room that its events were interrupted.
  void interrupt(const std::string& room) const;
  // (cluster) Whether any sink listens to the room.
  bool has_room(const std::string& room) const;
  // (cluster) Calls fn with every room that has a sink.
  void for_each_room(const std::function<void(const std::string&)>& fn) const;
  void leave(const std::shared_ptr<event_sink>& sink);
  void publish(const std::vector<store::committed_event>& events) const;
  // A live frame (not stored, never replayed) for every socket of the admins room.
  void publish_live(std::shared_ptr<const std::string> frame) const;
  std::size_t sockets() const;

 private:
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::vector<std::shared_ptr<event_sink>>> rooms_;
};

}  // namespace pw::actors
