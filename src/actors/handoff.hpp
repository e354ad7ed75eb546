// Messages to actors, with the hand-off made visible to ThreadSanitizer.
//
// CAF 0.17 (Debian's libcaf_core, built without TSan) moves a message from
// the sending thread to the actor's through its own lock-free mailbox: TSan
// cannot see that edge, so what a network or store thread wrote before it
// sent, and a thread reached from the actor afterwards reads, looks
// unsynchronised. Under TSan, post() marks a release before the message goes
// and every actor of ours marks an acquire (handoff_acquire) when its code
// starts or a message arrives: the edge CAF guarantees, told to TSan. One
// address serves every actor: it orders a little more than CAF does (any
// earlier send before any later receive), never less. Without TSan both are
// no-ops.
#pragma once

#include <utility>

#include <caf/send.hpp>

namespace pw::actors {

void handoff_release() noexcept;
void handoff_acquire() noexcept;
bool handoff_annotated() noexcept;  // true in a TSan build

template <class... Ts>
void post(const caf::actor& dest, Ts&&... xs) {
  handoff_release();
  caf::anon_send(dest, std::forward<Ts>(xs)...);
}

}  // namespace pw::actors
