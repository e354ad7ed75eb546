// item_run drives one item's state through its pipeline. It holds no I/O:
// each call applies one event (begin, a stage result, a failure, a due
// retry) to the state, through the state machine, and returns the step the
// caller must persist and then act on.
#pragma once

#include <cstdint>
#include <string>
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
  std::vector<stage_index> retry;                            // now retrying: arm a timer for next_due_ms
  std::vector<std::pair<stage_index, std::int64_t>> cleared_timers;  // durable timers to delete (stage, due)
  std::vector<stage_index> dead;                             // failed for good: write a dead letter
  bool finished = false;                                     // the item reached a terminal status
  bool empty() const noexcept { return history.empty(); }
};

class item_run {
 public:
  item_run(const pipeline& p, item_state& s);

  // Starts (queued) or resumes (processing, after a restart) the item:
  // interrupted attempts go back to pending, retry timers are re-armed, ready
  // stages start.
  step begin(std::int64_t now_ms);

  // The current attempt of `stage` succeeded.
  step complete(stage_index stage, std::int64_t now_ms);

  // The current attempt of `stage` failed. Transient failures are retried
  // while attempts remain; `unit_random` in [0, 1) drives the jitter.
  step fail(stage_index stage, const stage_failure& failure, std::int64_t now_ms, double unit_random);

  // The retry timer of `stage` fired.
  step retry_due(stage_index stage, std::int64_t now_ms);

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
  void apply(step& out, result<history_entry> r);

  const pipeline& p_;
  item_state& s_;
};

// The item status a finished run ends in: completed when every stage
// completed, partial when some completed and some failed or were skipped,
// failed when none completed.
item_status final_status(const item_state& s) noexcept;

}  // namespace pw::core
