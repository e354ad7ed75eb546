#include "actors/notifier.hpp"

#include <algorithm>
#include <unordered_map>

#include <caf/event_based_actor.hpp>

#include "actors/messages.hpp"

namespace pw::actors {

caf::behavior notifier(caf::event_based_actor* self) {
  auto rooms = std::make_shared<std::unordered_map<std::string, std::vector<sink_ptr>>>();
  (void)self;
  return {
      [rooms](publish_atom, const events_ptr& events) {
        for (const auto& e : *events) {
          auto it = rooms->find(e.room);
          if (it == rooms->end()) continue;
          for (const auto& sink : it->second) sink->deliver(e.room, e.seq, e.frame);
        }
      },
      [rooms](join_atom, const sink_ptr& sink) {
        for (const auto& room : sink->rooms()) (*rooms)[room].push_back(sink);
        sink->joined();
      },
      [rooms](leave_atom, const sink_ptr& sink) {
        for (const auto& room : sink->rooms()) {
          auto it = rooms->find(room);
          if (it == rooms->end()) continue;
          auto& v = it->second;
          v.erase(std::remove(v.begin(), v.end(), sink), v.end());
          if (v.empty()) rooms->erase(it);
        }
      },
  };
}

}  // namespace pw::actors
