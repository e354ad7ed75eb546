// Actor metrics without CAF's profiler (compiled out in Debian's 0.17.6):
// a behavior wrapped here counts and times every message it handles, and
// records the mailbox depth it sees, per actor kind. It also answers
// (probe, sent_ns) messages, whose time in the mailbox is the age of the
// oldest message at that moment (mailboxes are FIFO).
#pragma once

#include <cstdint>

#include <caf/atom.hpp>
#include <caf/fwd.hpp>

#include "core/node_metrics.hpp"

namespace pw::actors {

using probe_atom = caf::atom_constant<caf::atom("probe")>;

// Returns the behavior to use instead of `inner`. The wrapper runs `inner`
// from the actor's default handler, so handlers must not return `skip`
// (none of ours do); replies, promises and delegation work as before.
caf::behavior instrumented(caf::event_based_actor* self, core::node_metrics* metrics, core::actor_kind kind,
                           caf::behavior inner);

// For actors without metrics: in a TSan build every message of `inner` first
// marks the CAF hand-off (actors/handoff.hpp), the same way, and a message
// `inner` does not match is dropped (caf::drop); otherwise `inner` is
// returned as it is.
caf::behavior handoff_acquiring(caf::event_based_actor* self, caf::behavior inner);

}  // namespace pw::actors
