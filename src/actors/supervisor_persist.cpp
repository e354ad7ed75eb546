// How an item supervisor's steps become durable. Every step is written
// before it is acted on. Steps that happen while a write is in flight
// (parallel stages finishing together) share the next write. A completion
// that starts nothing may wait for a sibling stage that computes in-process
// and reports within microseconds, so both go in one write; nothing has acted
// on it yet, so a crash meanwhile only runs that stage again.
//
// Without fsync the write is committed on this actor's own thread when the
// store is free (store::writer::commit): the step's follow-up runs at once,
// with no message round trip. Otherwise the writer answers with a message.
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "actors/asset_lifecycle.hpp"
#include "actors/events.hpp"
#include "actors/handoff.hpp"
#include "actors/supervisor_impl.hpp"
#include "core/asset.hpp"
#include "core/clock.hpp"
#include "core/kill_point.hpp"
#include "store/assets.hpp"

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

// Item-level transitions worth an `item.updated` event: the operator's
// actions (pause, resume, cancel, queued again). Start and finish have their
// own events or none.
bool announced(const std::string& from, const std::string& to) {
  return to == "paused" || to == "cancelled" || from == "paused" || (to == "queued" && !from.empty());
}

}  // namespace

bool supervisor::emits(const std::string& to) const { return emits_stage_event(ctx_->cfg->stage_events, to); }

// A step may wait for the next one when acting on it needs nothing (no
// stage to start, no timer, no answer, not the end) and a stage computed in
// place is still to run: its outcome comes within this same handler.
bool supervisor::may_hold(const core::step& step, const control_ptr& reply) const {
  if (reply || step.finished || !step.start.empty() || !step.retry.empty() || !step.rearm.empty() ||
      !step.dead.empty() || !step.reset.empty() || !step.undead.empty() || !step.cleared_timers.empty())
    return false;
  for (const auto& r : running_)
    if (r.in_place) return true;
  return false;
}

void supervisor::persist(core::step step, stage_output* out, control_ptr reply) {
  if (removed_ || stopped_) return;  // a delete is pending (or done): nothing else is written
  ctx_->metrics->record_step(pipe_, step, state_);
  const auto& it = *item_;
  auto& ws = next_;
  const bool hold = may_hold(step, reply);
  if (parked_) {
    // Back in the queue before anything else in this write moves it.
    ws.unpark_item(it);
    parked_ = false;
  }
  for (const auto& e : step.history) {
    ws.append_history(it, e);
    if (!e.stage.empty()) {
      if (e.from != e.to && emits(e.to))
        ws.emit(it.owner, stage_updated_event(it, e, state_.stages[*pipe_.index_of(e.stage)]));
      continue;
    }
    auto from = core::parse_item_status(e.from);
    auto to = core::parse_item_status(e.to);
    if (from && to) ws.status_change(it, *from, *to);
    if (announced(e.from, e.to)) ws.emit(it.owner, item_updated_event(it, e));
  }
  if (out) {
    const auto& name = pipe_.stage(out->stage).name;
    const auto& prefix = binding_->stages[out->stage].data_prefix;
    ws.put_result(it, name, std::move(out->json));
    if (auto theme = theme_of(results_.find(name))) ws.put_theme(it, *theme);
    for (auto& w : out->state) ws.put_stage_data(prefix + w.key, std::move(w.value));
    for (auto& [field, delta] : out->counters) ws.count(it.workspace, std::move(field), delta);
  }
  for (auto i : step.reset) {
    const auto& name = pipe_.stage(i).name;
    ws.delete_result(it, name);
    if (auto theme = theme_of(results_.find(name))) ws.delete_theme(it, *theme);
    results_.erase(name);
    snapshot_.reset();
  }
  for (auto i : step.undead) ws.delete_dead_letter(it.id, pipe_.stage(i).name, it.workspace);
  for (auto i : step.retry) ws.put_timer(state_.stages[i].next_due_ms, it.id, pipe_.stage(i).name, it.workspace);
  for (auto& [i, due] : step.cleared_timers) {
    ws.delete_timer(due, it.id, pipe_.stage(i).name, it.workspace);
    if (retry_timers_[i]) ctx_->timers->cancel(retry_timers_[i]);
    retry_timers_[i] = 0;
  }
  for (auto i : step.dead) {
    ws.put_dead_letter(it.id, pipe_.stage(i).name, it.workspace, dead_letter_record(it, pipe_, state_, i));
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
  if (it.pipeline == core::asset_pipeline) add_asset_changes(ws, it, pipe_, state_, step.history, results_);
  follow_up f;
  f.start = std::move(step.start);
  f.retry = std::move(step.retry);
  f.retry.insert(f.retry.end(), step.rearm.begin(), step.rearm.end());
  f.finished = step.finished;
  if (reply) f.replies.push_back(std::move(reply));
  next_actions_.merge(std::move(f));
  // Steps already waiting that must not wait keep the write from waiting.
  hold_ = (dirty_ ? hold_ : true) && hold;
  dirty_ = true;
  flush();
}

// The record delta: the item's state header and every stage whose state
// differs from what the store has.
void supervisor::add_state_changes(store::write_set& ws) {
  ws.put_header(*item_, state_);
  for (std::size_t i = 0; i < state_.stages.size(); ++i) {
    if (state_.stages[i] == persisted_stages_[i]) continue;
    ws.put_stage(*item_, pipe_.stage(static_cast<stage_index>(i)).name, state_.stages[i]);
    persisted_stages_[i] = state_.stages[i];
  }
}

// Submits the accumulated steps, with the state as it is now, unless a write
// is in flight or they may wait. A requested delete goes last. Loops while
// writes complete on this thread.
void supervisor::flush() {
  if (flushing_ || stopped_) return;  // the loop below picks up what was just added
  flushing_ = true;
  bool wrote = false;
  while (!in_flight_ && !stopped_) {
    if (dirty_) {
      if (hold_) break;
      add_state_changes(next_);
      dirty_ = false;
    } else if (pending_delete_) {
      // Everything before the delete is durable, and state_ is what was persisted.
      if (parked_) {
        next_.unpark_item(*item_);
        parked_ = false;
      }
      next_.delete_item(*item_, pipe_, state_);
      for (const auto& [stage, result] : results_.entries())
        if (auto theme = theme_of(result.get())) next_.delete_theme(*item_, *theme);
      if (item_->pipeline == core::asset_pipeline)
        store::delete_asset(next_, *item_, core::asset_status_of(state_.status));
      // What backends keep about the item (an index entry) goes with it.
      for (const auto& b : binding_->stages)
        for (auto& w : b.backend->forget(*item_)) next_.put_stage_data(b.data_prefix + w.key, std::move(w.value));
      next_actions_ = std::move(*pending_delete_);
      pending_delete_.reset();
    } else {
      break;
    }
    in_flight_ = true;
    written_no_ = next_write_++;
    in_flight_actions_ = std::move(next_actions_);
    next_actions_ = {};
    auto ws = std::move(next_);
    next_ = store::write_set{};
    auto outcome = ctx_->writer->commit(
        std::move(ws), [h = handle(), no = written_no_](bool ok) { post(h, written_atom::value, no, ok); });
    if (outcome == store::writer::outcome::queued) break;
    after_write(outcome == store::writer::outcome::committed);
    wrote = true;
  }
  flushing_ = false;
  if (wrote && !stopped_) maybe_quit();
}

void supervisor::on_written(std::uint64_t no, bool ok) {
  if (!in_flight_ || no != written_no_) {
    spdlog::critical("event=supervisor.write_order item={} got={} expected={}", item_->id, no, written_no_);
    return stop(caf::sec::invalid_argument);
  }
  after_write(ok);
  if (stopped_) return;
  flush();
  if (!stopped_) maybe_quit();
}

// The write in flight is durable (or failed): act on it.
void supervisor::after_write(bool ok) {
  in_flight_ = false;
  auto done = std::move(in_flight_actions_);
  in_flight_actions_ = {};
  if (!ok) {
    // The item stays as the store has it; admission runs it again from
    // there once the store takes writes (or the next start does).
    const auto cause = ctx_->writer->failure().value_or("the store refused a write");
    spdlog::error("event=supervisor.store_failed item={} cause=\"{}\" action=park", item_->id, cause);
    store_error_ = core::store_refused(cause);
    reply_all(done.replies, &*store_error_);
    self_->send(admission_, parked_atom::value, item_->id, item_->workspace);
    return stop(caf::sec::runtime_error);
  }
  PW_KILL_POINT(supervisor_act);
  reply_all(done.replies, nullptr);
  if (done.deleted) return stop(caf::error{});
  if (control_mode_) return;
  if (draining_ || state_.status == core::item_status::paused) {
    // Marked processing by this write, but the item was paused meanwhile or
    // its node is stopping or handing it to another: they never ran, and
    // whoever runs the item next must not take them for interrupted runs.
    core::step back;
    for (auto i : done.start) {
      auto s = run_.unstart(i, core::now_ms(),
                            draining_ ? "not started: the node stopped running the item" : "not started: the item was paused");
      for (auto& e : s.history) back.history.push_back(std::move(e));
    }
    if (!back.history.empty()) persist(std::move(back), nullptr);
    if (draining_) return;
  } else {
    for (auto i : done.start) start_worker(i);
    resume_deferred();
  }
  for (auto i : done.retry) arm_retry(i);
  run_in_place();
}

}  // namespace pw::actors
