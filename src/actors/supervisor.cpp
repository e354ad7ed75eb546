#include "actors/supervisor.hpp"

#include <chrono>

#include <boost/json/parse.hpp>
#include <caf/send.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "actors/events.hpp"
#include "actors/stage_worker.hpp"
#include "actors/supervisor_impl.hpp"
#include "core/clock.hpp"
#include "core/json.hpp"

namespace pw::actors {

namespace {

// A stage output with a string "theme_id" (the builtin theme stage's) makes
// the item listable by that theme.
std::optional<std::string> theme_of(const boost::json::object* result) {
  if (!result) return std::nullopt;
  auto it = result->find("theme_id");
  if (it == result->end() || !it->value().is_string() || it->value().as_string().empty()) return std::nullopt;
  return std::string(it->value().as_string());
}

// Jitter needs no cryptographic randomness; std::random_device per item
// costs a system call.
std::uint64_t seed_for(const std::string& id) {
  std::uint64_t h = 0xcbf29ce484222325ull ^
                    static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  for (unsigned char c : id) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

bool runnable(core::item_status s) { return s == core::item_status::queued || s == core::item_status::processing; }

// Item-level transitions worth an `item.updated` event: the operator's
// actions (pause, resume, cancel, queued again). Start and finish have their
// own events or none.
bool announced(const std::string& from, const std::string& to) {
  return to == "paused" || to == "cancelled" || from == "paused" || (to == "queued" && !from.empty());
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
                       bool control)
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
      control_mode_(control),
      rng_(seed_for(item_->id)) {
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

void supervisor::begin() { persist(run_.begin(core::now_ms()), nullptr); }

void supervisor::on_done(stage_index i, std::uint32_t attempt, success_ptr res) {
  if (!settle_running(i, attempt)) return;
  stage_output out{i, core::to_json(res->output), std::move(res->state)};
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

void supervisor::on_written(std::uint64_t no, bool ok) {
  if (!in_flight_ || no != written_no_) {
    spdlog::critical("event=supervisor.write_order item={} got={} expected={}", item_->id, no, written_no_);
    return stop(caf::sec::invalid_argument);
  }
  in_flight_ = false;
  auto done = std::move(in_flight_actions_);
  in_flight_actions_ = {};
  if (!ok) {
    // The item stays in the durable queue; a restart resumes it.
    spdlog::error("event=supervisor.store_failed item={} action=stop", item_->id);
    auto err = core::make_error(core::errc::store_failed, "the store refused the write; see the server log");
    reply_all(done.replies, &err);
    return stop(caf::sec::runtime_error);
  }
  if (done.deleted) {
    reply_all(done.replies, nullptr);
    return stop(caf::error{});
  }
  reply_all(done.replies, nullptr);
  if (!draining_ && !control_mode_) {
    if (state_.status == core::item_status::paused) {
      // Marked processing before the pause was durable: they never ran.
      core::step back;
      for (auto i : done.start) {
        auto s = run_.unstart(i, core::now_ms());
        for (auto& e : s.history) back.history.push_back(std::move(e));
      }
      if (!back.history.empty()) persist(std::move(back), nullptr);
    } else {
      for (auto i : done.start) start_worker(i);
    }
    for (auto i : done.retry) arm_retry(i);
  }
  flush();
  maybe_quit();
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
  stop_work();
  auto err = core::make_error(core::errc::draining, "the node stopped before the action was durable; retry it");
  reply_all(in_flight_actions_.replies, &err);
  reply_all(next_actions_.replies, &err);
  if (pending_delete_) reply_all(pending_delete_->replies, &err);
  self_->quit(std::move(reason));
}

void supervisor::stop_work() {
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
  if (!run_.is_current(i, attempt) || !running_[i].worker) return false;
  if (running_[i].timeout) ctx_->timers->cancel(running_[i].timeout);
  running_[i] = {};
  return true;
}

void supervisor::fail(stage_index i, const core::stage_failure& f) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  persist(run_.fail(i, f, core::now_ms(), unit(rng_)), nullptr);
}

bool supervisor::emits(const std::string& to) const {
  switch (ctx_->cfg->stage_events) {
    case core::stage_events_mode::all: return true;
    case core::stage_events_mode::settled: return to != "processing";
    case core::stage_events_mode::none: return false;
  }
  return true;
}

// Adds a step to the next write. Steps that happen while a write is in
// flight (parallel stages finishing together) share one write, which goes
// out when the previous one is durable: fewer commits, same order.
void supervisor::persist(core::step step, stage_output* out, control_ptr reply) {
  if (removed_) return;  // a delete is pending: nothing else is written
  ctx_->metrics->record_step(pipe_, step, state_);
  const auto& it = *item_;
  auto& ws = next_;
  auto seq = static_cast<std::uint32_t>(state_.history_seq - step.history.size());
  for (const auto& e : step.history) {
    ws.append_history(it.id, seq++, e);
    if (!e.stage.empty()) {
      if (e.from != e.to && emits(e.to))
        ws.emit(it.owner, stage_updated_event(it, e, state_.stages[*pipe_.index_of(e.stage)]));
      continue;
    }
    auto from = core::parse_item_status(e.from);
    auto to = *core::parse_item_status(e.to);
    ws.status_change(it, from, to);
    if (runnable(to) && !(from && runnable(*from))) ws.enqueue(it.id, it.workspace);
    if (!runnable(to) && from && runnable(*from)) ws.dequeue(it.id);
    if (announced(e.from, e.to)) ws.emit(it.owner, item_updated_event(it, e));
  }
  if (out) {
    const auto& prefix = binding_->stages[out->stage].data_prefix;
    ws.put_result(it.id, pipe_.stage(out->stage).name, std::move(out->json));
    if (auto theme = theme_of(results_.find(pipe_.stage(out->stage).name))) ws.put_theme(it, *theme);
    for (auto& w : out->state) ws.put_stage_data(prefix + w.key, std::move(w.value));
  }
  for (auto i : step.reset) {
    ws.delete_result(it.id, pipe_.stage(i).name);
    if (auto theme = theme_of(results_.find(pipe_.stage(i).name))) ws.delete_theme(it, *theme);
    results_.erase(pipe_.stage(i).name);
    snapshot_.reset();
  }
  for (auto i : step.undead) ws.delete_dead_letter(it.id, pipe_.stage(i).name);
  for (auto i : step.retry) ws.put_timer(state_.stages[i].next_due_ms, it.id, pipe_.stage(i).name, it.workspace);
  for (auto& [i, due] : step.cleared_timers) {
    ws.delete_timer(due, it.id, pipe_.stage(i).name, it.workspace);
    if (retry_timers_[i]) ctx_->timers->cancel(retry_timers_[i]);
    retry_timers_[i] = 0;
  }
  for (auto i : step.dead) {
    ws.put_dead_letter(it.id, pipe_.stage(i).name, dead_letter_record(it, pipe_, state_, i));
    ws.count(std::string(store::dead_letters_counter), 1);
    ws.emit(std::string(store::admins_room), dead_letter_event(it, pipe_, state_, i));
    spdlog::warn("event=stage.dead_lettered item={} stage={} owner={} attempts={} error=\"{}\"", it.id,
                 pipe_.stage(i).name, it.owner, state_.stages[i].attempts, state_.stages[i].error);
  }
  if (step.finished && state_.status != core::item_status::cancelled) {
    ws.emit(it.owner, item_finished_event(it, pipe_, state_, results_));
    ws.record_duration(it.workspace, state_.completed_at_ms - state_.started_at_ms);
    spdlog::debug("event=item.finished item={} status={} duration_ms={}", it.id, core::to_string(state_.status),
                  state_.completed_at_ms - state_.started_at_ms);
  }
  follow_up f;
  f.start = std::move(step.start);
  f.retry = std::move(step.retry);
  f.retry.insert(f.retry.end(), step.rearm.begin(), step.rearm.end());
  f.finished = step.finished;
  if (reply) f.replies.push_back(std::move(reply));
  next_actions_.merge(std::move(f));
  dirty_ = true;
  flush();
}

// Submits the accumulated write, with the state as it is now, unless a
// write is still in flight. A requested delete goes last.
void supervisor::flush() {
  if (in_flight_) return;
  if (dirty_) {
    next_.put_state(item_->id, pipe_, state_);
    dirty_ = false;
  } else if (pending_delete_) {
    // Everything before the delete is durable, and state_ is what was persisted.
    next_.delete_item(*item_, pipe_, state_);
    for (const auto& [stage, result] : results_.entries())
      if (auto theme = theme_of(result.get())) next_.delete_theme(*item_, *theme);
    next_actions_ = std::move(*pending_delete_);
    pending_delete_.reset();
  } else {
    return;
  }
  in_flight_ = true;
  written_no_ = next_write_++;
  in_flight_actions_ = std::move(next_actions_);
  next_actions_ = {};
  auto ws = std::move(next_);
  next_ = store::write_set{};
  ctx_->writer->submit(std::move(ws),
                       [h = handle(), no = written_no_](bool ok) { caf::anon_send(h, written_atom::value, no, ok); });
}

void supervisor::start_worker(stage_index i) {
  if (!snapshot_) snapshot_ = std::make_shared<const stages::stage_results>(results_);
  const auto& spec = pipe_.stage(i);
  const auto attempt = state_.stages[i].attempts;
  auto job = std::make_shared<worker_job>(
      worker_job{handle(), ctx_, item_, snapshot_, &spec, binding_->stages[i].backend, i, attempt});
  auto worker = self_->spawn<caf::monitored>(stage_worker, std::move(job));
  running_[i].worker = worker;
  if (spec.chaos || binding_->stages[i].backend->asynchronous())
    running_[i].timeout = ctx_->timers->schedule(spec.timeout, [h = handle(), i, attempt] {
      caf::anon_send(h, timeout_atom::value, i, attempt);
    });
  self_->send(worker, run_atom::value);
}

void supervisor::arm_retry(stage_index i) {
  const auto& st = state_.stages[i];
  if (st.status != core::stage_status::retrying) return;
  if (retry_timers_[i]) ctx_->timers->cancel(retry_timers_[i]);
  auto delay = std::chrono::milliseconds(std::max<std::int64_t>(0, st.next_due_ms - core::now_ms()));
  retry_timers_[i] = ctx_->timers->schedule(delay, [h = handle(), i, attempt = st.attempts] {
    caf::anon_send(h, retry_atom::value, i, attempt);
  });
}

bool supervisor::any_running() const {
  for (const auto& r : running_)
    if (r.worker) return true;
  return false;
}

void supervisor::maybe_quit() {
  if (in_flight_ || dirty_ || pending_delete_) return;
  if (control_mode_) return give_back();
  const bool idle = !any_running();
  if ((core::is_terminal(state_.status) && idle) || (state_.status == core::item_status::paused && idle) ||
      (draining_ && idle))
    stop(caf::error{});
}

caf::behavior item_supervisor(caf::event_based_actor* self, context_ptr ctx, stored_item_ptr rec, caf::actor admission,
                              bool control) {
  auto sup = std::make_shared<supervisor>(self, std::move(ctx), std::move(rec), std::move(admission), control);
  self->set_down_handler([sup](caf::down_msg& dm) { sup->on_down(dm); });
  self->set_exit_handler([sup](caf::exit_msg& em) { sup->stop(std::move(em.reason)); });
  if (!control) sup->begin();
  return {
      [sup](done_atom, stage_index i, std::uint32_t attempt, success_ptr res) { sup->on_done(i, attempt, std::move(res)); },
      [sup](fail_atom, stage_index i, std::uint32_t attempt, bool permanent, const std::string& message) {
        sup->on_fail(i, attempt, permanent, message);
      },
      [sup](timeout_atom, stage_index i, std::uint32_t attempt) { sup->on_timeout(i, attempt); },
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
