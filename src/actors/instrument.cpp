#include "actors/instrument.hpp"

#include <chrono>

#include <caf/detail/default_invoke_result_visitor.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message_view.hpp>
#include <caf/sec.hpp>

#include "actors/handoff.hpp"

namespace pw::actors {

namespace {
using handoff_idle_atom = caf::atom_constant<caf::atom("pwidle")>;
}  // namespace

caf::behavior instrumented(caf::event_based_actor* self, core::node_metrics* metrics, core::actor_kind kind,
                           caf::behavior inner) {
  if (!metrics) return inner;
  // The behavior itself only knows probes: everything else falls through to
  // the default handler, which times `inner` on the same message.
  self->set_default_handler([metrics, kind, inner](caf::scheduled_actor* s, caf::message_view& xs) mutable
                            -> caf::result<caf::message> {
    handoff_acquire();
    const auto t0 = std::chrono::steady_clock::now();
    caf::detail::default_invoke_result_visitor<caf::scheduled_actor> visitor{s};
    const auto matched = inner(visitor, xs.content());
    const auto t1 = std::chrono::steady_clock::now();
    metrics->actor_message(kind, s->mailbox().size(), std::chrono::duration<double>(t1 - t0).count());
    if (matched == caf::match_case::no_match) return caf::sec::unexpected_message;
    // Answered (or not) by `inner` through the visitor already.
    return caf::delegated<caf::message>{};
  });
  return {
      [metrics, kind](probe_atom, std::int64_t sent_ns) {
        handoff_acquire();
        metrics->actor_probe_seen(kind, sent_ns, core::node_metrics::now_ns());
      },
  };
}

caf::behavior handoff_acquiring(caf::event_based_actor* self, caf::behavior inner) {
  if (!handoff_annotated()) return inner;
  self->set_default_handler([inner](caf::scheduled_actor* s, caf::message_view& xs) mutable -> caf::result<caf::message> {
    handoff_acquire();
    caf::detail::default_invoke_result_visitor<caf::scheduled_actor> visitor{s};
    if (inner(visitor, xs.content()) == caf::match_case::no_match) return caf::drop(s, xs);
    return caf::delegated<caf::message>{};
  });
  // An empty behavior would end the actor: one handler nobody sends to.
  return {[](handoff_idle_atom) {}};
}

}  // namespace pw::actors
