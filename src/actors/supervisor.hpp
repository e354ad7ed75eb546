// The item supervisor: one actor per active item (DESIGN §3). It resumes the
// item from its persisted state, starts a worker for every ready stage,
// persists every transition before acting on it, applies the stage's
// supervision policy when a worker fails, crashes or times out, and quits
// once the item reached a terminal status (or, paused or draining, once
// nothing runs). Operator actions (pause, retry, delete, ...) reach it as
// control messages and are answered once durable.
#pragma once

#include <cstdint>

#include <caf/fwd.hpp>

#include "actors/context.hpp"
#include "actors/messages.hpp"

namespace pw::actors {

enum class supervisor_mode : std::uint8_t {
  run,      // resume or start the item from its stored state
  begun,    // admission already persisted the start: run the stages marked processing
  control,  // only apply operator actions (the first arrives as a control message) to an item no supervisor runs
};

// The supervisor takes rec over: it moves the item, state and results out of
// it when it starts, on a scheduler thread, so the spawner must not read rec
// after the spawn (copy what it needs first).
caf::behavior item_supervisor(caf::event_based_actor* self, context_ptr ctx, stored_item_ptr rec, caf::actor admission,
                              supervisor_mode mode);

}  // namespace pw::actors
