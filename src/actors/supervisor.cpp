#include "actors/supervisor.hpp"

#include <chrono>

#include <boost/json/parse.hpp>
#include <caf/send.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "actors/events.hpp"
#include "actors/handoff.hpp"
#include "actors/stage_worker.hpp"
#include "actors/supervisor_impl.hpp"
#include "core/clock.hpp"
#include "core/json.hpp"
#include "core/kill_point.hpp"

namespace pw::actors {

namespace {

// Jitter needs no cryptographic randomness; std::random_device per item
// costs a system call.
std::uint64_t seed_for(const std::string& id) {
  std::uint64_t h = 0xcbf29ce484222325ull ^
                    static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  for (unsigned char c : id) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

}  // namespace

void follow_up::merge(follow_up&& other) {
  start.insert(start.end(), other.start.begin(), other.start.end());
  retry.insert(retry.end(), other.retry.begin(), other.retry.end());
  for (auto& r : other.replies) replies.push_back(std::move(r));
  finished = finished || other.finished;
  deleted = deleted || other.deleted;
}

supervisor::supervisor(caf::event_based_actor* self, context_ptr ctx, stored_item_ptr rec, caf::actor admission,
                       supervisor_mode mode)
    : self_(self),
      ctx_(std::move(ctx)),
      binding_(&ctx_->pipelines.at(rec->item.pipeline)),
      pipe_(*binding_->pipeline),
      item_(std::make_shared<const core::item>(std::move(rec->item))),
      state_(std::move(rec->state)),
      run_(pipe_, state_),
      running_(pipe_.size()),
      retry_timers_(pipe_.size(), 0),
      admission_(std::move(admission)),
      mode_(mode),
      control_mode_(mode == supervisor_mode::control),
      persisted_stages_(state_.stages),
      deferred_(pipe_.size(), false),
      asked_at_(pipe_.size(), 0),
      rng_(seed_for(item_->id)) {
  // An item that waited on a batch may be parked (only processing items
  // park); its first write unparks it.
  for (std::size_t i = 0; i < state_.stages.size(); ++i)
    if (state_.status == core::item_status::processing && state_.stages[i].status == core::stage_status::processing &&
        pipe_.stage(static_cast<stage_index>(i)).resumable)
      parked_ = true;
  for (auto& [stage, json] : rec->results) {
    boost::system::error_code ec;
    auto v = boost::json::parse(json, ec);
    if (ec || !v.is_object()) {
      spdlog::error("event=supervisor.bad_result item={} stage={} error=\"{}\"", item_->id, stage, ec.message());
      continue;
    }
    results_.set(stage, std::make_shared<const boost::json::object>(std::move(v.as_object())));
  }
}

void supervisor::begin() {
  if (mode_ != supervisor_mode::begun) {
    if (state_.status == core::item_status::processing) PW_KILL_POINT(supervisor_resume);
    return persist(run_.begin(core::now_ms()), nullptr);
  }
  mode_ = supervisor_mode::run;  // an item queued again later begins like any other
  for (std::size_t i = 0; i < state_.stages.size(); ++i)
    if (state_.stages[i].status == core::stage_status::processing) start_worker(static_cast<stage_index>(i));
  run_in_place();
}

void supervisor::on_done(stage_index i, std::uint32_t attempt, success_ptr res) {
  if (!settle_running(i, attempt)) return;
  PW_KILL_POINT(supervisor_result);
  stage_output out{i, core::to_json(res->output), std::move(res->state), std::move(res->counters)};
  results_.set(pipe_.stage(i).name, std::make_shared<const boost::json::object>(std::move(res->output)));
  snapshot_.reset();
  persist(run_.complete(i, core::now_ms()), &out);
}

void supervisor::on_fail(stage_index i, std::uint32_t attempt, bool permanent, std::string message) {
  if (!settle_running(i, attempt)) return;
  fail(i, {permanent ? core::attempt_outcome::permanent_error : core::attempt_outcome::transient_error,
           std::move(message)});
}

void supervisor::on_timeout(stage_index i, std::uint32_t attempt) {
  if (!run_.is_current(i, attempt) || !running_[i].worker) return;
  running_[i].timeout = 0;  // it fired
  ctx_->metrics->stage_attempt(pipe_, i, core::attempt_outcome::timeout, std::chrono::duration<double>(pipe_.stage(i).timeout).count());
  self_->send_exit(running_[i].worker, caf::exit_reason::kill);
  settle_running(i, attempt);
  fail(i, {core::attempt_outcome::timeout, fmt::format("no answer within {} ms", pipe_.stage(i).timeout.count())});
}

void supervisor::on_down(const caf::down_msg& dm) {
  for (std::size_t i = 0; i < running_.size(); ++i) {
    if (!running_[i].worker || running_[i].worker.address() != dm.source) continue;
    auto idx = static_cast<stage_index>(i);
    settle_running(idx, state_.stages[i].attempts);
    std::string why = dm.reason ? self_->system().render(dm.reason) : "the worker exited without an answer";
    fail(idx, {core::attempt_outcome::crashed, "worker crashed: " + why});
    return;
  }
}

void supervisor::on_retry(stage_index i, std::uint32_t attempt) {
  if (!run_.is_retry_current(i, attempt)) return;
  retry_timers_[i] = 0;
  if (draining_ || state_.status != core::item_status::processing) return;  // the timer is durable
  persist(run_.retry_due(i, core::now_ms()), nullptr);
}

void supervisor::on_drain() {
  draining_ = true;
  for (auto& t : retry_timers_) {
    if (t) ctx_->timers->cancel(t);
    t = 0;
  }
  maybe_quit();
}

void supervisor::stop(caf::error reason) {
  if (stopped_) return;
  stopped_ = true;
  stop_work();
  auto err = store_error_ ? *store_error_
                          : core::make_error(core::errc::draining, "the node stopped before the action was durable; retry it");
  reply_all(in_flight_actions_.replies, &err);
  reply_all(next_actions_.replies, &err);
  if (pending_delete_) reply_all(pending_delete_->replies, &err);
  self_->quit(std::move(reason));
}

void supervisor::stop_work() {
  in_place_.clear();
  for (auto& r : running_) {
    if (r.timeout) ctx_->timers->cancel(r.timeout);
    if (r.worker) self_->send_exit(r.worker, caf::exit_reason::kill);
    r = {};
  }
  for (auto& t : retry_timers_) {
    if (t) ctx_->timers->cancel(t);
    t = 0;
  }
}

void supervisor::reply_all(std::vector<control_ptr>& replies, const core::error* err) {
  for (auto& c : replies) {
    if (err) c->done(*err);
    else c->done(control_reply{item_->id, removed_ ? "deleted" : std::string(core::to_string(state_.status))});
  }
  replies.clear();
}

bool supervisor::settle_running(stage_index i, std::uint32_t attempt) {
  if (!run_.is_current(i, attempt) || !running_[i].active()) return false;
  if (running_[i].timeout) ctx_->timers->cancel(running_[i].timeout);
  running_[i] = {};
  return true;
}

void supervisor::fail(stage_index i, const core::stage_failure& f) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  persist(run_.fail(i, f, core::now_ms(), unit(rng_)), nullptr);
}

// A stage whose backend computes in-process in microseconds (no chaos, not
// asynchronous) runs in this actor, with no worker spawned: a worker would
// cost a spawn, two messages and a clock entry for the same computation. It
// is supervised the same way: an exception is a crashed attempt.
bool supervisor::runs_in_place(stage_index i) const {
  return !pipe_.stage(i).chaos && !binding_->stages[i].backend->asynchronous();
}

void supervisor::start_worker(stage_index i) {
  asked_at_[i] = wakes_;
  if (runs_in_place(i)) {
    running_[i].in_place = true;
    in_place_.push_back(i);
    return;
  }
  if (!snapshot_) snapshot_ = std::make_shared<const stages::stage_results>(results_);
  const auto& spec = pipe_.stage(i);
  const auto attempt = state_.stages[i].attempts;
  auto job = std::make_shared<worker_job>(
      worker_job{handle(), ctx_, item_, snapshot_, &spec, binding_->stages[i].backend, i, attempt});
  auto worker = self_->spawn<caf::monitored>(stage_worker, std::move(job));
  running_[i].worker = worker;
  if (spec.chaos || binding_->stages[i].backend->asynchronous())
    running_[i].timeout = ctx_->timers->schedule(spec.timeout, [h = handle(), i, attempt] {
      post(h, timeout_atom::value, i, attempt);
    });
  self_->send(worker, run_atom::value);
}

// Computes the started synchronous stages one after the other. Their
// outcomes are steps like any worker's answer; completions that start
// nothing wait for the next one (supervisor_persist.cpp), so the stages that
// became ready together are persisted in one write.
void supervisor::run_in_place() {
  if (computing_) return;  // the loop below takes what was just queued
  computing_ = true;
  while (!in_place_.empty() && !stopped_) {
    const auto i = in_place_.front();
    in_place_.pop_front();
    if (!running_[i].in_place) continue;
    const auto attempt = state_.stages[i].attempts;
    std::optional<stages::stage_outcome> outcome;
    std::string crash;
    const auto started = std::chrono::steady_clock::now();
    try {
      outcome = binding_->stages[i].backend->run(stages::stage_input{*item_, results_, attempt});
    } catch (const std::exception& e) {
      crash = e.what();
    } catch (...) {
      crash = "unknown exception";
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const auto* ok = outcome ? std::get_if<stages::stage_success>(&*outcome) : nullptr;
    const auto* err = outcome ? std::get_if<stages::stage_error>(&*outcome) : nullptr;
    const bool deferred = outcome && std::holds_alternative<stages::stage_deferred>(*outcome);
    const auto result = ok ? core::attempt_outcome::completed
                        : err ? (err->permanent ? core::attempt_outcome::permanent_error : core::attempt_outcome::transient_error)
                              : core::attempt_outcome::crashed;
    // A deferred attempt (waiting on a batch) is counted when its result comes.
    if (!deferred) ctx_->metrics->stage_attempt(pipe_, i, result, seconds);
    if (!ok && !deferred)
      spdlog::info("event=stage.attempt_failed item={} stage={} attempt={} outcome={} duration_ms={:.3f} error=\"{}\"",
                   item_->id, pipe_.stage(i).name, attempt, core::to_string(result), seconds * 1e3,
                   err ? err->message : crash);
    if (!outcome) {
      settle_running(i, attempt);
      fail(i, {core::attempt_outcome::crashed, "worker crashed: " + crash});
    } else if (ok) {
      on_done(i, attempt, std::make_shared<stages::stage_success>(std::move(*std::get_if<stages::stage_success>(&*outcome))));
    } else if (auto* later = std::get_if<stages::stage_deferred>(&*outcome)) {
      on_defer(i, attempt, std::move(later->what));
    } else {
      on_fail(i, attempt, err->permanent, err->message);
    }
  }
  computing_ = false;
}

void supervisor::arm_retry(stage_index i) {
  const auto& st = state_.stages[i];
  if (st.status != core::stage_status::retrying) return;
  if (retry_timers_[i]) ctx_->timers->cancel(retry_timers_[i]);
  auto delay = std::chrono::milliseconds(std::max<std::int64_t>(0, st.next_due_ms - core::now_ms()));
  retry_timers_[i] = ctx_->timers->schedule(delay, [h = handle(), i, attempt = st.attempts] {
    post(h, retry_atom::value, i, attempt);
  });
}

bool supervisor::any_running() const {
  for (const auto& r : running_)
    if (r.active()) return true;
  return false;
}

void supervisor::maybe_quit() {
  if (in_flight_ || dirty_ || pending_delete_) return;
  if (control_mode_) return give_back();
  const bool idle = !any_running();
  if ((core::is_terminal(state_.status) && idle) || (state_.status == core::item_status::paused && idle) ||
      (draining_ && idle))
    stop(caf::error{});
  else if (idle && waiting_on_batch())
    park();
}

caf::behavior item_supervisor(caf::event_based_actor* self, context_ptr ctx, stored_item_ptr rec, caf::actor admission,
                              supervisor_mode mode) {
  handoff_acquire();
  auto sup = std::make_shared<supervisor>(self, std::move(ctx), std::move(rec), std::move(admission), mode);
  self->set_down_handler([sup](caf::down_msg& dm) {
    handoff_acquire();
    sup->on_down(dm);
  });
  self->set_exit_handler([sup](caf::exit_msg& em) {
    handoff_acquire();
    sup->stop(std::move(em.reason));
  });
  if (mode != supervisor_mode::control) sup->begin();
  return {
      [sup](done_atom, stage_index i, std::uint32_t attempt, success_ptr res) { sup->on_done(i, attempt, std::move(res)); },
      [sup](fail_atom, stage_index i, std::uint32_t attempt, bool permanent, const std::string& message) {
        sup->on_fail(i, attempt, permanent, message);
      },
      [sup](timeout_atom, stage_index i, std::uint32_t attempt) { sup->on_timeout(i, attempt); },
      [sup](defer_atom, stage_index i, std::uint32_t attempt, std::string& what) { sup->on_defer(i, attempt, std::move(what)); },
      [sup](wake_atom) {
        sup->on_wake();
        return done_atom::value;
      },
      [sup](retry_atom, stage_index i, std::uint32_t attempt) { sup->on_retry(i, attempt); },
      [sup](written_atom, std::uint64_t no, bool ok) { sup->on_written(no, ok); },
      [sup](drain_atom) { sup->on_drain(); },
      [sup](control_atom, const control_ptr& c) {
        sup->on_control(c);
        return done_atom::value;
      },
  };
}

}  // namespace pw::actors
