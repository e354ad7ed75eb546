// Atoms and local message types of the actor runtime. Payloads are passed
// as shared_ptr and never leave the process (CAF_ALLOW_UNSAFE_MESSAGE_TYPE):
// items are processed on the node that owns their workspace.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "actors/gateway.hpp"
#include "stages/stage.hpp"
#include "store/recovery.hpp"
#include "store/write_set.hpp"

namespace pw::actors {

using submit_atom = caf::atom_constant<caf::atom("submit")>;
using accepted_atom = caf::atom_constant<caf::atom("accepted")>;
using recovered_atom = caf::atom_constant<caf::atom("recovered")>;
using fetched_atom = caf::atom_constant<caf::atom("fetched")>;
using ready_atom = caf::atom_constant<caf::atom("ready")>;
using drain_atom = caf::atom_constant<caf::atom("drain")>;
using run_atom = caf::atom_constant<caf::atom("run")>;
using done_atom = caf::atom_constant<caf::atom("done")>;
using fail_atom = caf::atom_constant<caf::atom("fail")>;
using written_atom = caf::atom_constant<caf::atom("written")>;
using timeout_atom = caf::atom_constant<caf::atom("timeout")>;
using retry_atom = caf::atom_constant<caf::atom("retry")>;
using stats_atom = caf::atom_constant<caf::atom("stats")>;
using control_atom = caf::atom_constant<caf::atom("control")>;
using loaded_atom = caf::atom_constant<caf::atom("loaded")>;
using requeue_atom = caf::atom_constant<caf::atom("requeue")>;
using bulk_atom = caf::atom_constant<caf::atom("bulk")>;
using parked_atom = caf::atom_constant<caf::atom("parked")>;    // a supervisor stopped: the store refused its write
using store_ok_atom = caf::atom_constant<caf::atom("storeok")>; // the store takes writes again
using release_atom = caf::atom_constant<caf::atom("release")>;
using resume_atom = caf::atom_constant<caf::atom("resume")>;
using outcome_atom = caf::atom_constant<caf::atom("outcome")>;  // an asynchronous backend's outcome, to its worker
using defer_atom = caf::atom_constant<caf::atom("defer")>;      // a worker's attempt waits for a batch
using wake_atom = caf::atom_constant<caf::atom("wake")>;        // a batch result is ready for the item
using woken_atom = caf::atom_constant<caf::atom("woken")>;      // admission: a woken item was read

struct submission {
  submit_request request;
  submit_callback done;
};

struct control_envelope {
  control_request request;
  control_callback done;
};

// A bulk action: one control per item, answered with how many succeeded.
struct bulk_envelope {
  std::vector<control_request> requests;
  count_callback done;
};

using submission_ptr = std::shared_ptr<submission>;
using control_ptr = std::shared_ptr<control_envelope>;
using bulk_ptr = std::shared_ptr<bulk_envelope>;
using stored_item_ptr = std::shared_ptr<store::stored_item>;
using queued_batch_ptr = std::shared_ptr<std::vector<store::queued_ref>>;
using success_ptr = std::shared_ptr<stages::stage_success>;
using outcome_ptr = std::shared_ptr<stages::stage_outcome>;  // an asynchronous backend's answer

// (cluster) Slots admission stops running (a handoff): `done` once none of
// their items has a supervisor any more.
struct release_job {
  std::vector<std::uint32_t> slots;
  std::function<void()> done;
};
using release_ptr = std::shared_ptr<release_job>;
using slots_ptr = std::shared_ptr<std::vector<std::uint32_t>>;

}  // namespace pw::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pw::actors::submission_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pw::actors::control_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pw::actors::bulk_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pw::actors::stored_item_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pw::actors::queued_batch_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pw::actors::success_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pw::actors::release_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pw::actors::slots_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pw::actors::outcome_ptr)
