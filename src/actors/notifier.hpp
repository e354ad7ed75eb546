// The notifier fans committed events out to rooms (DESIGN §3): a user's room
// holds every socket of that user; the admins room every admin's socket.
#pragma once

#include <caf/fwd.hpp>

namespace pw::actors {

// Messages: (publish, events_ptr) from the store writer, in commit order;
// (join, sink_ptr) and (leave, sink_ptr) from the network layer.
caf::behavior notifier(caf::event_based_actor* self);

}  // namespace pw::actors
