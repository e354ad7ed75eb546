// Admission owns the durable queue of accepted items (DESIGN §3): it makes a
// submission durable (item, initial state, queue entry, owner index in one
// write) before answering, keeps at most `max_active` item supervisors
// alive, and picks the next item round robin over workspaces so one noisy
// workspace does not starve the rest.
#pragma once

#include <caf/fwd.hpp>

#include "actors/context.hpp"

namespace pw::actors {

// Messages: (submit, submission_ptr); (recovered, queued_batch_ptr);
// (ready); (drain) -> (done) once no supervisor is left; (stats): refresh
// node_flags::oldest_waiting_ms; (wake, item id): a batch result is ready for
// the item. Every message is counted and timed (actors/instrument.hpp), and
// so are its supervisors'.
caf::behavior admission(caf::event_based_actor* self, context_ptr ctx);

}  // namespace pw::actors
