// Internal to src/actors: admission's state. Intake, slots and the round
// robin are in admission.cpp; operators' actions (routing to the item's
// supervisor, the waiting queue or the store) in admission_control.cpp.
#pragma once

#include <deque>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>

#include "actors/context.hpp"
#include "actors/messages.hpp"
#include "actors/supervisor.hpp"
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
  caf::actor spawn_supervisor(stored_item_ptr rec, supervisor_mode mode, const std::string& id, const std::string& ws);
  void enqueue(stored_item_ptr rec);
  void enqueue(std::string id, const std::string& ws, stored_item_ptr rec);  // rec null: recovered, not loaded yet
  bool held(const std::string& id) const;
  bool slot_free() const { return active_.size() + starting_.size() + reserved_ < ctx_->cfg->actors.max_active; }
  bool may_start_now(const std::string& ws) const;
  void activate();
  void publish_counts();

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
  std::unordered_map<std::string, std::string> parked_;  // id -> workspace
  bool ready_ = false;
  bool draining_ = false;
  std::vector<caf::response_promise> drain_waiters_;
};

}  // namespace pw::actors
