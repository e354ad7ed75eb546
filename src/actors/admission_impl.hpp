// Internal to src/actors: admission's state. Intake, slots, the round robin
// and items parked while the store refused writes are in admission.cpp;
// operators' actions and batch wake-ups (routing to the item's supervisor,
// the waiting queue or the store) in admission_control.cpp; a cluster's
// slot releases in admission_release.cpp.
#pragma once

#include <deque>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>

#include "actors/context.hpp"
#include "actors/messages.hpp"
#include "actors/supervisor.hpp"
#include "core/cluster.hpp"
#include "core/ids.hpp"

namespace pw::actors {

class admission_state {
 public:
  admission_state(caf::event_based_actor* self, context_ptr ctx) : self_(self), ctx_(std::move(ctx)) {}

  // admission.cpp
  void submit(const submission_ptr& sub);
  void accepted(const stored_item_ptr& rec, bool ok, bool started);
  void recovered(const queued_batch_ptr& batch);
  void fetched(const std::string& id, const stored_item_ptr& rec);
  void mark_ready();
  void supervisor_down(const caf::down_msg& dm);
  void drain(caf::response_promise rp);
  void publish_oldest();
  void kill_all();
  // A supervisor stopped because the store refused its write; its item runs
  // again from what the store has once the store takes writes (store_ok).
  void parked(const std::string& id, const std::string& workspace);
  void store_ok();

  // admission_control.cpp
  void control(const control_ptr& c);
  void loaded(const std::string& id, const stored_item_ptr& rec);
  void requeue(const stored_item_ptr& rec, const caf::actor_addr& from);
  void bulk(const bulk_ptr& b);
  // A batch result is ready for the item: its live supervisor asks again, or
  // the item (read from the store, parked) is queued if still processing.
  void wake(const std::string& id);
  void woken(const std::string& id, const stored_item_ptr& rec);

  // admission_release.cpp (cluster): stops running the slots' items (waiting
  // ones stay in the durable queue, running supervisors finish their stages
  // and stop), `done` once none is left; resume_slots takes them again.
  void release(const release_ptr& job);
  void resume_slots(const slots_ptr& slots);

 private:
  struct active_supervisor {
    caf::actor handle;
    std::string id;
    std::string workspace;
  };
  struct starting_item {
    std::string workspace;
    std::vector<control_ptr> controls;  // actions that arrived while it loads
  };
  struct queued_id {
    std::string id;
    std::int64_t since_ms = 0;  // when it was queued here
  };

  caf::actor handle() const { return caf::actor_cast<caf::actor>(self_); }
  bool at_workspace_cap(const std::string& ws) const;
  void take_slot(const std::string& ws) { ++active_by_workspace_[ws]; }
  void release_slot(const std::string& ws);
  void forward(const caf::actor& sup, const control_ptr& c);
  caf::actor spawn_control(stored_item_ptr rec);
  // id and ws are copies: the supervisor moves the record's item out of rec as it starts,
  // maybe on another thread, while this one still indexes it by id.
  caf::actor spawn_supervisor(stored_item_ptr rec, supervisor_mode mode, std::string id, std::string ws);
  void enqueue(stored_item_ptr rec);
  void enqueue(std::string id, const std::string& ws, stored_item_ptr rec);  // rec null: recovered, not loaded yet
  // Somebody has the item already: a supervisor, the queue, or a read for one.
  bool held(const std::string& id) const;
  bool slot_free() const { return active_.size() + starting_.size() + reserved_ < ctx_->cfg->actors.max_active; }
  bool may_start_now(const std::string& ws) const;
  void activate();
  void publish_counts();
  // (cluster)
  std::uint32_t slot_of(std::string_view ws) const { return core::slot_of_workspace(ws, ctx_->cluster_slots); }
  bool released(std::string_view ws) const {
    return ctx_->cluster_slots && !released_slots_.empty() && released_slots_.count(slot_of(ws));
  }
  std::string workspace_of_waiting(const std::string& id) const;
  void finish_releases();  // answers the releases whose slots have no supervisor and nothing loading

  caf::event_based_actor* self_;
  context_ptr ctx_;
  core::id_generator ids_;
  std::unordered_map<std::string, std::deque<queued_id>> queue_by_workspace_;  // FIFO per workspace
  std::deque<std::string> rotation_;                                              // workspaces with ids queued
  std::unordered_map<std::string, stored_item_ptr> waiting_;                     // the waiting items (null: recovered, not loaded)
  std::unordered_map<std::string, starting_item> starting_;                      // recovered, loading for their slot
  std::unordered_map<std::string, std::size_t> active_by_workspace_;             // slots taken, per workspace
  std::unordered_set<std::string> capped_;                                       // at their cap, out of rotation
  std::size_t accepting_ = 0;
  std::size_t reserved_ = 0;  // slots of items being accepted and started in one write
  std::unordered_map<caf::actor_addr, active_supervisor> active_;
  std::unordered_map<std::string, caf::actor> by_id_;
  std::unordered_map<std::string, std::vector<control_ptr>> loading_;
  std::unordered_set<std::string> waking_;               // woken items being read
  std::unordered_map<std::string, std::string> parked_;  // id -> workspace
  bool ready_ = false;
  bool draining_ = false;
  std::vector<caf::response_promise> drain_waiters_;
  std::set<std::uint32_t> released_slots_;  // (cluster) slots being handed off
  std::vector<release_ptr> releases_;
  std::unordered_map<std::string, std::size_t> accepting_by_workspace_;  // (cluster) writes of new items under way
};

}  // namespace pw::actors
