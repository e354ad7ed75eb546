// Items waiting on a batch (DESIGN §3: "a supervisor with nothing to do for
// a long time may stop and be woken by its timer or result"). A batch
// stage's attempt defers: its request is durable in the batch registry. Once
// nothing else runs or waits on a timer, the supervisor parks the item (out
// of the durable queue, so recovery leaves it alone) and stops. When the
// poller maps the request back it marks the item ready and wakes it through
// admission: a live supervisor asks its deferred stages again; otherwise a
// new one is started, unparks the item in its first write, and resumes the
// stage with the same attempt (core::item_run::begin). The result is consumed
// in the write that completes the stage.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "actors/supervisor_impl.hpp"

namespace pw::actors {

void supervisor::on_defer(stage_index i, std::uint32_t attempt, std::string what) {
  if (!pipe_.stage(i).resumable) {
    // Only a resumable stage can wait outside this actor.
    return on_fail(i, attempt, false, "the backend deferred an attempt it cannot resume");
  }
  if (!settle_running(i, attempt)) return;
  if (asked_at_[i] != wakes_) {
    // A wake came while this attempt asked: its answer may predate the
    // result that woke us. Ask again rather than wait for a wake that came.
    spdlog::debug("event=stage.ask_again item={} stage={} attempt={}", item_->id, pipe_.stage(i).name, attempt);
    return start_worker(i);
  }
  deferred_[i] = true;
  spdlog::debug("event=stage.deferred item={} stage={} attempt={} detail=\"{}\"", item_->id, pipe_.stage(i).name, attempt,
                what);
  maybe_quit();
}

void supervisor::on_wake() {
  if (stopped_ || control_mode_ || draining_) return;
  ++wakes_;
  for (std::size_t i = 0; i < deferred_.size(); ++i) {
    if (!deferred_[i]) continue;
    deferred_[i] = false;
    start_worker(static_cast<stage_index>(i));
  }
  run_in_place();
}

// Nothing left to do here but wait for batches: no worker, no timer, no
// stage computing in place, and at least one deferred stage.
bool supervisor::waiting_on_batch() const {
  if (state_.status != core::item_status::processing || draining_ || removed_) return false;
  bool any = false;
  for (std::size_t i = 0; i < deferred_.size(); ++i) {
    if (retry_timers_[i]) return false;
    any = any || deferred_[i];
  }
  return any && in_place_.empty();
}

void supervisor::park() {
  if (parked_) {
    spdlog::debug("event=item.parked item={}", item_->id);
    return stop(caf::error{});
  }
  next_.park_item(*item_);
  parked_ = true;
  hold_ = false;
  dirty_ = true;
  flush();  // once durable, maybe_quit() comes back here and stops
}

// Resumable stages marked processing with no worker (an item resumed after a
// restart or a wake, or resumed by an operator) ask their backend again.
void supervisor::resume_deferred() {
  if (stopped_ || control_mode_ || draining_ || state_.status != core::item_status::processing) return;
  for (std::size_t i = 0; i < state_.stages.size(); ++i) {
    const auto idx = static_cast<stage_index>(i);
    if (state_.stages[i].status != core::stage_status::processing || !pipe_.stage(idx).resumable) continue;
    if (running_[i].active() || deferred_[i]) continue;
    start_worker(idx);
  }
}

}  // namespace pw::actors
