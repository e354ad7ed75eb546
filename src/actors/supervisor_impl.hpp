// Internal to src/actors: the item supervisor's state and steps. The run
// (starting workers, their outcomes, retries) is in supervisor.cpp; how steps
// become durable in supervisor_persist.cpp; operator actions in
// supervisor_control.cpp.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <caf/event_based_actor.hpp>

#include "actors/context.hpp"
#include "actors/messages.hpp"
#include "actors/supervisor.hpp"
#include "actors/timer_service.hpp"
#include "core/item_run.hpp"
#include "stages/stage.hpp"
#include "store/write_set.hpp"

namespace pw::actors {

using core::stage_index;

// What to do once a write is durable.
struct follow_up {
  std::vector<stage_index> start;   // start a worker for each
  std::vector<stage_index> retry;   // arm a retry timer for each
  std::vector<control_ptr> replies; // answer these requests
  bool finished = false;            // the item reached a terminal status
  bool deleted = false;             // the item's records are gone
  void merge(follow_up&& other);
};

// A completed stage's output, persisted with the step it caused.
struct stage_output {
  stage_index stage = 0;
  std::string json;
  std::vector<stages::state_write> state;
  std::vector<std::pair<std::string, std::int64_t>> counters;
};

class supervisor {
 public:
  // `control`: a supervisor spawned to apply one operator action to an item
  // that no supervisor was running; it never starts stages, and hands the
  // item back to admission when it is runnable.
  supervisor(caf::event_based_actor* self, context_ptr ctx, stored_item_ptr rec, caf::actor admission,
             supervisor_mode mode);

  // Starts the item: persists its start (run mode), or runs what admission
  // already persisted as started (begun mode).
  void begin();
  void on_done(stage_index i, std::uint32_t attempt, success_ptr res);
  void on_fail(stage_index i, std::uint32_t attempt, bool permanent, std::string message);
  // The attempt waits for a batch (supervisor_park.cpp).
  void on_defer(stage_index i, std::uint32_t attempt, std::string what);
  // A batch result is ready: deferred stages ask their backend again.
  void on_wake();
  void on_timeout(stage_index i, std::uint32_t attempt);
  void on_down(const caf::down_msg& dm);
  void on_retry(stage_index i, std::uint32_t attempt);
  void on_written(std::uint64_t no, bool ok);
  void on_drain();
  void on_control(const control_ptr& c);
  // Stops every worker and timer and quits; unanswered requests get `why`.
  void stop(caf::error reason);

 private:
  struct running_stage {
    caf::actor worker;
    timer_service::timer_id timeout = 0;
    bool in_place = false;  // a synchronous backend: computed by this actor, queued in in_place_
    bool active() const noexcept { return worker || in_place; }
  };

  caf::actor handle() const { return caf::actor_cast<caf::actor>(self_); }
  bool settle_running(stage_index i, std::uint32_t attempt);
  void fail(stage_index i, const core::stage_failure& f);
  bool emits(const std::string& to) const;
  // supervisor_persist.cpp
  void persist(core::step step, stage_output* out, control_ptr reply = nullptr);
  bool may_hold(const core::step& step, const control_ptr& reply) const;
  void flush();
  void after_write(bool ok);
  void add_state_changes(store::write_set& ws);
  void start_worker(stage_index i);
  bool runs_in_place(stage_index i) const;
  void run_in_place();
  void arm_retry(stage_index i);
  void maybe_quit();
  bool any_running() const;
  void stop_work();
  void reply_all(std::vector<control_ptr>& replies, const core::error* err);

  // supervisor_park.cpp: items waiting on a batch hold no actor.
  bool waiting_on_batch() const;
  void park();
  void resume_deferred();

  // supervisor_control.cpp
  core::result<core::step> apply(const control_request& req);
  core::result<std::vector<stage_index>> resolve_stages(const control_request& req, std::string_view verb) const;
  void remove(const control_ptr& c);
  void give_back();

  caf::event_based_actor* self_;
  context_ptr ctx_;
  const pipeline_binding* binding_;
  const core::pipeline& pipe_;
  std::shared_ptr<const core::item> item_;
  core::item_state state_;
  core::item_run run_;
  stages::stage_results results_;
  std::shared_ptr<const stages::stage_results> snapshot_;
  std::vector<running_stage> running_;
  std::deque<stage_index> in_place_;  // started synchronous stages not computed yet
  bool computing_ = false;            // inside run_in_place()
  std::vector<timer_service::timer_id> retry_timers_;
  caf::actor admission_;
  supervisor_mode mode_;
  bool control_mode_;

  store::write_set next_;        // steps not yet submitted
  follow_up next_actions_;       // what to do once `next_` is durable
  follow_up in_flight_actions_;  // what to do once the write in flight is durable
  std::vector<core::stage_state> persisted_stages_;  // as the store has them (or will, once in flight is durable)
  bool dirty_ = false;           // `next_` holds steps
  bool hold_ = false;            // `next_` may wait: it starts nothing and another stage is about to report
  bool flushing_ = false;        // inside flush(): steps added now go out in its next round
  bool in_flight_ = false;
  std::uint64_t written_no_ = 0;
  std::uint64_t next_write_ = 0;
  bool draining_ = false;
  bool finished_ = false;
  bool removed_ = false;         // a delete was requested: nothing else is persisted
  bool stopped_ = false;         // quit: handlers still on the stack do nothing more
  std::optional<follow_up> pending_delete_;  // the delete, written after what is already pending
  std::optional<core::error> store_error_;   // the store refused a write: what unanswered requests get
  std::vector<bool> deferred_;   // stages whose attempt waits for a batch (no worker)
  // Wakes received, and the count when each stage's worker was started: a
  // wake that came while an attempt was asking finds no deferred stage, so
  // the attempt asks again when its deferral arrives (supervisor_park.cpp).
  std::uint64_t wakes_ = 0;
  std::vector<std::uint64_t> asked_at_;
  bool parked_ = false;          // the store has the item out of the queue, parked (or may have: loaded so)
  std::mt19937_64 rng_;
};

}  // namespace pw::actors
