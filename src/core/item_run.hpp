// item_run drives one item's state through its pipeline. It holds no I/O:
// each call applies one event (begin, a stage result, a failure, a due
// retry) to the state, through the state machine, and returns the step the
// caller must persist and then act on.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/item_state.hpp"
#include "core/pipeline.hpp"
#include "core/state_machine.hpp"

namespace pw::core {

struct stage_failure {
  attempt_outcome outcome = attempt_outcome::transient_error;  // transient_error, permanent_error, timeout or crashed
  std::string message;
  bool permanent() const noexcept { return outcome == attempt_outcome::permanent_error; }
};

struct step {
  std::vector<history_entry> history;                        // to append, in order
  std::vector<stage_index> start;                            // now processing: run one attempt each
  std::vector<stage_index> retry;                            // now retrying: persist and arm a timer for next_due_ms
  std::vector<stage_index> rearm;                            // already retrying (after a restart): arm its timer
  std::vector<stage_index> resume;                           // processing on a resumable backend: ask it again, same attempt
  std::vector<std::pair<stage_index, std::int64_t>> cleared_timers;  // durable timers to delete (stage, due)
  std::vector<stage_index> dead;                             // failed for good: write a dead letter
  std::vector<stage_index> reset;                            // back to pending by an operator: drop their results
  std::vector<stage_index> undead;                           // their dead letters are settled: remove them
  bool finished = false;                                     // the item reached a terminal status
  bool empty() const noexcept { return history.empty(); }
};

class item_run {
 public:
  item_run(const pipeline& p, item_state& s);

  // Starts (queued) or resumes (processing, after a restart) the item:
  // interrupted attempts go back to pending (but those of resumable stages,
  // whose request is durable elsewhere, go on: `resume`), retry timers are
  // re-armed, ready stages start.
  step begin(std::int64_t now_ms);

  // The current attempt of `stage` succeeded.
  step complete(stage_index stage, std::int64_t now_ms);

  // The current attempt of `stage` failed. Transient failures are retried
  // while attempts remain; `unit_random` in [0, 1) drives the jitter.
  step fail(stage_index stage, const stage_failure& failure, std::int64_t now_ms, double unit_random);

  // The retry timer of `stage` fired.
  step retry_due(stage_index stage, std::int64_t now_ms);

  // Operator actions (src/core/item_control.cpp). Each refuses with
  // invalid_transition, naming the current status, what that status does not
  // allow. "Live" means a supervisor is running the item.

  // queued|processing -> paused: running attempts finish, nothing new starts.
  result<step> pause(std::int64_t now_ms);
  // paused -> processing (live: ready stages start now) or -> queued (parked:
  // admission will run it).
  result<step> resume(std::int64_t now_ms, bool live);
  // queued|processing|paused -> cancelled, for good; unsettled stages are skipped.
  result<step> cancel(std::int64_t now_ms);
  // Failed stages back to pending with a fresh attempt budget, and the stages
  // skipped because of them. A finished item is queued again.
  result<step> retry(const std::vector<stage_index>& stages, std::int64_t now_ms, bool live);
  // The whole pipeline again: every stage pending, the item queued.
  result<step> rerun(std::int64_t now_ms);
  // `stage` and everything downstream back to pending; upstream results kept.
  result<step> rollback(stage_index stage, std::int64_t now_ms);
  // The stage's dead letter is settled without a retry; the stage stays failed.
  result<step> resolve_letter(stage_index stage, std::int64_t now_ms);
  // A stage was marked processing but its worker never started (the item was
  // paused meanwhile, or its node stopped or handed it on): back to pending,
  // the attempt not counted. `why` goes into the history.
  step unstart(stage_index stage, std::int64_t now_ms, std::string_view why);

  // True when `attempt` is the running attempt of `stage`; results of any
  // other attempt are stale and ignored.
  bool is_current(stage_index stage, std::uint32_t attempt) const noexcept;
  bool is_retry_current(stage_index stage, std::uint32_t attempt) const noexcept;

  const item_state& state() const noexcept { return s_; }
  const pipeline& pipe() const noexcept { return p_; }

 private:
  void start_stage(step& out, stage_index i, std::int64_t now_ms, std::string cause);
  void settle_failed(step& out, stage_index i, std::int64_t now_ms, std::string message);
  void advance(step& out, std::int64_t now_ms);
  void reset_stage(step& out, stage_index i, std::int64_t now_ms, std::string cause);
  result<void> item_to(step& out, item_status to, std::int64_t now_ms, std::string cause);
  void apply(step& out, result<history_entry> r);

  const pipeline& p_;
  item_state& s_;
};

// The item status a finished run ends in: completed when every stage
// completed, partial when some completed and some failed or were skipped,
// failed when none completed.
item_status final_status(const item_state& s) noexcept;

}  // namespace pw::core
