#include "actors/notifier.hpp"

#include <algorithm>
#include <unordered_map>

#include <caf/event_based_actor.hpp>

#include "actors/instrument.hpp"
#include "actors/messages.hpp"
#include "store/write_set.hpp"

namespace pw::actors {

caf::behavior notifier(caf::event_based_actor* self, core::node_metrics* metrics) {
  auto rooms = std::make_shared<std::unordered_map<std::string, std::vector<sink_ptr>>>();
  return instrumented(self, metrics, core::actor_kind::notifier, {
      [rooms](publish_atom, const events_ptr& events) {
        for (const auto& e : *events) {
          auto it = rooms->find(e.room);
          if (it == rooms->end()) continue;
          for (const auto& sink : it->second) sink->deliver(e.room, e.seq, e.frame, e.committed_ns);
        }
      },
      [rooms](pulse_atom, const frame_ptr& frame) {
        auto it = rooms->find(std::string(store::admins_room));
        if (it == rooms->end()) return;
        for (const auto& sink : it->second) sink->deliver_live(frame);
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
  });
}

}  // namespace pw::actors
