#include "actors/stage_worker.hpp"

#include <stdexcept>

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include <chrono>

#include <spdlog/spdlog.h>

#include "actors/handoff.hpp"
#include "actors/messages.hpp"
#include "stages/chaos.hpp"

namespace pw::actors {

namespace {

using clock = std::chrono::steady_clock;

// One attempt's outcome, for the metrics and the log: failures at info
// (they matter to an operator), successes at debug.
void report(const worker_job& job, clock::time_point started, core::attempt_outcome outcome, const std::string& error) {
  const double seconds = std::chrono::duration<double>(clock::now() - started).count();
  const auto& pipe = *job.ctx->pipelines.at(job.item->pipeline).pipeline;
  job.ctx->metrics->stage_attempt(pipe, job.stage, outcome, seconds);
  if (outcome == core::attempt_outcome::completed)
    spdlog::debug("event=stage.attempt item={} stage={} attempt={} outcome=completed duration_ms={:.3f}", job.item->id,
                  job.spec->name, job.attempt, seconds * 1e3);
  else
    spdlog::info("event=stage.attempt_failed item={} stage={} attempt={} outcome={} duration_ms={:.3f} error=\"{}\"",
                 job.item->id, job.spec->name, job.attempt, core::to_string(outcome), seconds * 1e3, error);
}

// The attempt's outcome to the supervisor (and the metrics and the log).
void deliver(caf::event_based_actor* self, const worker_job& job, clock::time_point started, stages::stage_outcome&& outcome) {
  if (auto* ok = std::get_if<stages::stage_success>(&outcome)) {
    report(job, started, core::attempt_outcome::completed, {});
    self->send(job.supervisor, done_atom::value, job.stage, job.attempt, std::make_shared<stages::stage_success>(std::move(*ok)));
  } else if (auto* later = std::get_if<stages::stage_deferred>(&outcome)) {
    // Not an outcome yet: the request waits for a batch (counted when its result comes).
    spdlog::debug("event=stage.deferred item={} stage={} attempt={} what=\"{}\"", job.item->id, job.spec->name, job.attempt,
                  later->what);
    self->send(job.supervisor, defer_atom::value, job.stage, job.attempt, std::move(later->what));
  } else {
    auto& err = std::get<stages::stage_error>(outcome);
    report(job, started, err.permanent ? core::attempt_outcome::permanent_error : core::attempt_outcome::transient_error,
           err.message);
    self->send(job.supervisor, fail_atom::value, job.stage, job.attempt, err.permanent, std::move(err.message));
  }
  self->quit();
}

// An asynchronous backend (a provider call, the image pool, an external
// worker) answers on its own thread; the outcome comes back to this worker as
// a message, and nothing waits.
void compute(caf::event_based_actor* self, const worker_job& job, clock::time_point started) {
  const auto t0 = clock::now();
  if (!job.backend->asynchronous()) {
    auto outcome = job.backend->run(stages::stage_input{*job.item, *job.upstream, job.attempt});
    job.ctx->metrics->actor_message(core::actor_kind::worker, 0, std::chrono::duration<double>(clock::now() - t0).count());
    return deliver(self, job, started, std::move(outcome));
  }
  job.backend->start(stages::async_input{job.item, job.upstream, job.attempt},
                     [h = caf::actor_cast<caf::actor>(self)](stages::stage_outcome o) {
                       post(h, outcome_atom::value, std::make_shared<stages::stage_outcome>(std::move(o)));
                     });
  job.ctx->metrics->actor_message(core::actor_kind::worker, 0, std::chrono::duration<double>(clock::now() - t0).count());
}

// Applies the chaos effect decided for this attempt; true when the attempt
// should go on to compute normally.
bool apply_chaos(caf::event_based_actor* self, const worker_job& job, core::chaos_effect effect, clock::time_point started) {
  switch (effect) {
    case core::chaos_effect::none: return true;
    case core::chaos_effect::transient:
      report(job, started, core::attempt_outcome::transient_error, "chaos: injected transient failure");
      self->send(job.supervisor, fail_atom::value, job.stage, job.attempt, false,
                 std::string("chaos: injected transient failure"));
      self->quit();
      return false;
    case core::chaos_effect::permanent:
      report(job, started, core::attempt_outcome::permanent_error, "chaos: injected permanent failure");
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
  handoff_acquire();
  const auto started = clock::now();
  self->set_exception_handler([job, started](std::exception_ptr& p) -> caf::error {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(p);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    report(*job, started, core::attempt_outcome::crashed, what);
    return caf::make_error(caf::sec::runtime_error, std::move(what));
  });
  job->ctx->flags->workers.fetch_add(1, std::memory_order_relaxed);
  const auto& pipe = *job->ctx->pipelines.at(job->item->pipeline).pipeline;
  job->ctx->metrics->worker_started(pipe, job->stage);
  self->attach_functor([flags = job->ctx->flags, metrics = job->ctx->metrics, &pipe, stage = job->stage] {
    flags->workers.fetch_sub(1, std::memory_order_relaxed);
    metrics->worker_stopped(pipe, stage);
  });
  return {
      [=](run_atom) {
        handoff_acquire();
        if (!job->spec->chaos) return compute(self, *job, started);
        auto d = stages::decide_chaos(*job->spec->chaos, job->item->id, job->spec->name, job->attempt);
        if (d.latency.count() > 0) {
          // Wait without holding a scheduler thread, then carry on.
          job->ctx->timers->schedule(d.latency, [h = caf::actor_cast<caf::actor>(self), effect = d.effect] {
            post(h, run_atom::value, static_cast<std::uint8_t>(effect));
          });
          return;
        }
        if (apply_chaos(self, *job, d.effect, started)) compute(self, *job, started);
      },
      [=](run_atom, std::uint8_t effect) {
        handoff_acquire();
        if (apply_chaos(self, *job, static_cast<core::chaos_effect>(effect), started)) compute(self, *job, started);
      },
      [=](outcome_atom, const outcome_ptr& o) {
        handoff_acquire();
        deliver(self, *job, started, std::move(*o));
      },
  };
}

}  // namespace pw::actors
