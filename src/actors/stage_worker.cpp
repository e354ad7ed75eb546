#include "actors/stage_worker.hpp"

#include <stdexcept>

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "actors/messages.hpp"
#include "stages/chaos.hpp"

namespace pw::actors {

namespace {

void report(caf::event_based_actor* self, const worker_job& job, stages::stage_outcome outcome) {
  if (auto* ok = std::get_if<stages::stage_success>(&outcome)) {
    self->send(job.supervisor, done_atom::value, job.stage, job.attempt, std::make_shared<stages::stage_success>(std::move(*ok)));
  } else {
    auto& err = std::get<stages::stage_error>(outcome);
    self->send(job.supervisor, fail_atom::value, job.stage, job.attempt, err.permanent, std::move(err.message));
  }
  self->quit();
}

void compute(caf::event_based_actor* self, const worker_job& job) {
  if (job.backend->asynchronous()) {
    // The backend works elsewhere (the image pool, the network) and answers
    // this worker, which reports and quits; the supervisor's timeout bounds
    // the wait.
    job.backend->start(stages::async_input{job.item, job.upstream, job.attempt},
                       [h = caf::actor_cast<caf::actor>(self)](stages::stage_outcome o) {
                         caf::anon_send(h, outcome_atom::value, std::make_shared<stages::stage_outcome>(std::move(o)));
                       });
    return;
  }
  report(self, job, job.backend->run(stages::stage_input{*job.item, *job.upstream, job.attempt}));
}

// Applies the chaos effect decided for this attempt; true when the attempt
// should go on to compute normally.
bool apply_chaos(caf::event_based_actor* self, const worker_job& job, core::chaos_effect effect) {
  switch (effect) {
    case core::chaos_effect::none: return true;
    case core::chaos_effect::transient:
      self->send(job.supervisor, fail_atom::value, job.stage, job.attempt, false,
                 std::string("chaos: injected transient failure"));
      self->quit();
      return false;
    case core::chaos_effect::permanent:
      self->send(job.supervisor, fail_atom::value, job.stage, job.attempt, true,
                 std::string("chaos: injected permanent failure"));
      self->quit();
      return false;
    case core::chaos_effect::throw_error: throw std::runtime_error("chaos: injected crash (the worker threw)");
    case core::chaos_effect::hang: return false;  // never answer: the supervisor's timeout fires
  }
  return true;
}

}  // namespace

caf::behavior stage_worker(caf::event_based_actor* self, std::shared_ptr<const worker_job> job) {
  self->set_exception_handler([](std::exception_ptr& p) -> caf::error {
    try {
      std::rethrow_exception(p);
    } catch (const std::exception& e) {
      return caf::make_error(caf::sec::runtime_error, std::string(e.what()));
    } catch (...) {
      return caf::make_error(caf::sec::runtime_error, std::string("unknown exception"));
    }
  });
  job->ctx->flags->workers.fetch_add(1, std::memory_order_relaxed);
  self->attach_functor([flags = job->ctx->flags] { flags->workers.fetch_sub(1, std::memory_order_relaxed); });
  return {
      [=](run_atom) {
        if (!job->spec->chaos) return compute(self, *job);
        auto d = stages::decide_chaos(*job->spec->chaos, job->item->id, job->spec->name, job->attempt);
        if (d.latency.count() > 0) {
          // Wait without holding a scheduler thread, then carry on.
          job->ctx->timers->schedule(d.latency, [h = caf::actor_cast<caf::actor>(self), effect = d.effect] {
            caf::anon_send(h, run_atom::value, static_cast<std::uint8_t>(effect));
          });
          return;
        }
        if (apply_chaos(self, *job, d.effect)) compute(self, *job);
      },
      [=](run_atom, std::uint8_t effect) {
        if (apply_chaos(self, *job, static_cast<core::chaos_effect>(effect))) compute(self, *job);
      },
      [=](outcome_atom, const outcome_ptr& o) { report(self, *job, std::move(*o)); },
  };
}

}  // namespace pw::actors
