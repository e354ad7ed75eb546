// A stage worker runs one attempt of one stage for one item and reports to
// its supervisor: (done, stage, attempt, result) or (fail, stage, attempt,
// permanent, message). A worker that throws dies, and its supervisor, which
// monitors it, counts that as a transient failure. Chaos, when the stage has
// it, delays the attempt or replaces its outcome.
#pragma once

#include <cstdint>
#include <memory>

#include <caf/fwd.hpp>

#include "actors/context.hpp"
#include "core/item.hpp"
#include "stages/stage.hpp"

namespace pw::actors {

struct worker_job {
  caf::actor supervisor;
  context_ptr ctx;
  std::shared_ptr<const core::item> item;
  std::shared_ptr<const stages::stage_results> upstream;  // a snapshot: the worker runs on another thread
  const core::stage_spec* spec = nullptr;
  std::shared_ptr<stages::stage_backend> backend;
  core::stage_index stage = 0;
  std::uint32_t attempt = 1;
};

caf::behavior stage_worker(caf::event_based_actor* self, std::shared_ptr<const worker_job> job);

}  // namespace pw::actors
