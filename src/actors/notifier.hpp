// The notifier fans committed events out to rooms (DESIGN §3): a user's room
// holds every socket of that user; the admins room every admin's socket.
#pragma once

#include <caf/fwd.hpp>

#include "core/node_metrics.hpp"

namespace pw::actors {

// Messages: (publish, events_ptr) from the store writer, in commit order;
// (join, sink_ptr) and (leave, sink_ptr) from the network layer; (pulse,
// frame_ptr): a live stats frame for every socket of the admins room.
caf::behavior notifier(caf::event_based_actor* self, core::node_metrics* metrics);

}  // namespace pw::actors
