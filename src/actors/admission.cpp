#include "actors/admission.hpp"

#include <deque>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "actors/events.hpp"
#include "actors/instrument.hpp"
#include "actors/messages.hpp"
#include "actors/supervisor.hpp"
#include "core/asset.hpp"
#include "core/clock.hpp"
#include "core/cluster.hpp"
#include "core/ids.hpp"
#include "core/item_run.hpp"
#include "store/assets.hpp"
#include "store/codec.hpp"

namespace pw::actors {

namespace {

// Supervisors' messages are counted and timed like every actor kind's.
caf::behavior measured_supervisor(caf::event_based_actor* self, context_ptr ctx, stored_item_ptr rec, caf::actor admission,
                                  supervisor_mode mode) {
  auto* metrics = ctx->metrics;
  return instrumented(self, metrics, core::actor_kind::supervisor,
                      item_supervisor(self, std::move(ctx), std::move(rec), std::move(admission), mode));
}

class admission_state {
 public:
  admission_state(caf::event_based_actor* self, context_ptr ctx) : self_(self), ctx_(std::move(ctx)) {}

  void submit(const submission_ptr& sub) {
    auto refuse = [&](core::errc code, std::string msg) { sub->done(core::make_error(code, std::move(msg))); };
    if (!ready_) return refuse(core::errc::not_ready, "the node is recovering accepted work; retry shortly");
    if (draining_) return refuse(core::errc::draining, "the node is shutting down; retry on another node or later");
    if (waiting_.size() + active_.size() + starting_.size() + accepting_ >= ctx_->cfg->actors.max_queued)
      return refuse(core::errc::queue_full, "the queue is full (actors.max_queued); retry later");
    auto p = ctx_->pipelines.find(sub->request.pipeline);
    if (p == ctx_->pipelines.end()) return refuse(core::errc::validation_failed, "no pipeline '" + sub->request.pipeline + "'");
    if (released(sub->request.workspace))
      return refuse(core::errc::unavailable, "the workspace is being moved to another node; retry shortly");

    const auto now = core::now_ms();
    auto rec = std::make_shared<store::stored_item>();
    auto& it = rec->item;
    auto& req = sub->request;
    it.id = ctx_->cluster_slots ? ids_.next(now, slot_of(sub->request.workspace)) : ids_.next(now);
    it.owner = std::move(req.owner);
    it.workspace = std::move(req.workspace);
    it.pipeline = std::move(req.pipeline);
    it.title = std::move(req.title);
    it.text = std::move(req.text);
    it.metadata_json = std::move(req.metadata_json);
    it.created_at_ms = now;
    const auto& pipe = *p->second.pipeline;
    rec->state.stages.assign(pipe.size(), core::stage_state{});
    std::vector<core::history_entry> history{core::history_entry{now, {}, {}, "queued", 0, "accepted"}};
    rec->state.history_seq = 1;
    submit_reply reply{it.id, now};
    reply.asset = req.asset != nullptr;

    store::write_set ws;
    if (req.asset) {
      // The asset is created (draft: its image stored) and its job queued
      // (processing) in the same write.
      for (auto step : {core::asset_transition(std::nullopt, core::asset_status::draft, now, "image stored: " + req.asset->summary),
                        core::asset_transition(core::asset_status::draft, core::asset_status::processing, now,
                                               "analysis job queued")}) {
        history.push_back(std::move(step).value());
        ++rec->state.history_seq;
      }
      store::put_asset(ws, it, std::move(req.asset->bytes), core::asset_status::processing);
      req.asset.reset();
    }
    // With a slot free and nobody waiting, the item starts in the same write
    // that accepts it: its first stages are durable as started, and its
    // supervisor runs them as soon as the write is in.
    const bool start_now = may_start_now(it.workspace);
    if (start_now) {
      core::item_run run(pipe, rec->state);
      auto step = run.begin(now);
      for (auto& e : step.history) {
        if (!e.stage.empty() && e.from != e.to && emits_stage_event(ctx_->cfg->stage_events, e.to))
          ws.emit(it.owner, stage_updated_event(it, e, rec->state.stages[*pipe.index_of(e.stage)]));
        history.push_back(std::move(e));
      }
      take_slot(it.workspace);
      ++reserved_;
    }
    ws.create_item(it, pipe, rec->state, std::move(history));
    if (!req.row_key.empty()) ws.put_row_key(it.workspace, req.row_key, it.id);
    if (!req.idempotency_key.empty())
      // The answer is stored with the item: a replay finds both or neither.
      ws.put_idempotency(it.owner, req.idempotency_key, now,
                         store::encode_idempotency({req.request_hash, 201, reply.json(), now,
                                                    ctx_->cluster_slots ? std::optional(slot_of(it.workspace)) : std::nullopt}));
    ++accepting_;
    if (ctx_->cluster_slots) ++accepting_by_workspace_[it.workspace];
    auto answer = [sub, reply](bool ok) {
      if (ok) sub->done(reply);
      else sub->done(core::make_error(core::errc::store_failed, "the store refused the write; see the server log"));
    };
    auto outcome = ctx_->writer->commit(std::move(ws), [answer, rec, start_now, h = handle()](bool ok) {
      answer(ok);
      caf::anon_send(h, accepted_atom::value, rec, ok, start_now);
    });
    if (outcome == store::writer::outcome::queued) return;
    const bool ok = outcome == store::writer::outcome::committed;
    answer(ok);
    accepted(rec, ok, start_now);
  }

  void accepted(const stored_item_ptr& rec, bool ok, bool started) {
    --accepting_;
    if (ok) ctx_->metrics->item_accepted(rec->item.pipeline);
    if (ctx_->cluster_slots) {
      auto a = accepting_by_workspace_.find(rec->item.workspace);
      if (a != accepting_by_workspace_.end() && --a->second == 0) accepting_by_workspace_.erase(a);
      if (ok && released(rec->item.workspace)) {
        // Its slot was released while the write was under way: the item
        // stays in the durable queue and moves with the slot's records.
        if (started) {
          --reserved_;
          release_slot(rec->item.workspace);
        }
        finish_releases();
        return activate();
      }
    }
    if (started) {
      --reserved_;
      if (ok) {
        auto sup = self_->spawn<caf::monitored>(measured_supervisor, ctx_, rec, handle(), supervisor_mode::begun);
        active_.emplace(sup.address(), active_supervisor{sup, rec->item.id, rec->item.workspace});
        by_id_[rec->item.id] = sup;
        publish_counts();
      } else {
        release_slot(rec->item.workspace);
      }
      return;
    }
    if (ok) enqueue(rec);
    activate();
  }

  // Recovered items wait as ids; each is loaded when it gets a slot. In a
  // cluster a slot's items are handed over again when the node takes the
  // slot (back): those it already knows are skipped.
  void recovered(const queued_batch_ptr& batch) {
    for (auto& r : *batch) {
      // A batch result may have woken it already (batch_service::start runs
      // beside recovery): one supervisor an item.
      if (released(r.workspace) || waiting_.count(r.id) || starting_.count(r.id) || by_id_.count(r.id)) continue;
      enqueue(std::move(r.id), r.workspace, nullptr);
    }
    activate();
  }

  // (cluster) Stops running the slots' items: waiting ones stay in the
  // durable queue, running supervisors finish their stages and stop; `done`
  // once none is left.
  void release(const release_ptr& job) {
    for (auto s : job->slots) released_slots_.insert(s);
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      auto ws = it->second ? it->second->item.workspace : workspace_of_waiting(it->first);
      it = released(ws) ? waiting_.erase(it) : std::next(it);
    }
    releases_.push_back(job);
    for (auto& [addr, sup] : active_)
      if (released(sup.workspace)) self_->send(sup.handle, drain_atom::value);
    publish_counts();
    finish_releases();
  }

  void resume_slots(const slots_ptr& slots) {
    for (auto s : *slots) released_slots_.erase(s);
  }

  // A recovered item's record arrived for the slot reserved for it.
  void fetched(const std::string& id, const stored_item_ptr& rec) {
    auto it = starting_.find(id);
    if (it == starting_.end()) return;  // drained meanwhile: it stays in the durable queue
    auto pending = std::move(it->second.controls);
    const auto ws = std::move(it->second.workspace);
    starting_.erase(it);
    if (released(ws)) {
      // Its slot is being handed off: it stays in the durable queue.
      release_slot(ws);
      for (auto& c : pending) c->done(core::make_error(core::errc::unavailable, "the workspace is being moved; retry shortly"));
      finish_releases();
      return activate();
    }
    if (!rec) {
      release_slot(ws);
      spdlog::error("event=recovery.unreadable item={} reason=\"record missing, undecodable or pipeline gone\"", id);
      for (auto& c : pending) c->done(core::make_error(core::errc::not_found, fmt::format("no item '{}'", id)));
    } else {
      auto sup = self_->spawn<caf::monitored>(measured_supervisor, ctx_, rec, handle(), supervisor_mode::run);
      active_.emplace(sup.address(), active_supervisor{sup, id, ws});
      by_id_[id] = sup;
      for (auto& c : pending) forward(sup, c);
    }
    activate();
  }

  void mark_ready() {
    ready_ = true;
    ctx_->flags->ready = true;
  }

  // Routes an operator's action to whoever holds the item: its supervisor,
  // the waiting queue, or the store (through the loader).
  void control(const control_ptr& c) {
    if (!ready_) return c->done(core::make_error(core::errc::not_ready, "the node is recovering; retry shortly"));
    if (draining_) return c->done(core::make_error(core::errc::draining, "the node is shutting down; retry later"));
    const auto& id = c->request.item_id;
    if (auto a = by_id_.find(id); a != by_id_.end()) return forward(a->second, c);
    if (auto s = starting_.find(id); s != starting_.end()) return s->second.controls.push_back(c);
    if (auto w = waiting_.find(id); w != waiting_.end()) {
      auto rec = std::move(w->second);
      waiting_.erase(w);
      publish_counts();
      if (rec) return forward(spawn_control(std::move(rec)), c);
      // Recovered and not loaded yet: load it below like any stored item.
    }
    if (auto l = loading_.find(id); l != loading_.end()) return l->second.push_back(c);
    loading_[id].push_back(c);
    ctx_->loader->load_item(id, [h = handle(), id](std::optional<store::stored_item> loaded) {
      stored_item_ptr rec = loaded ? std::make_shared<store::stored_item>(std::move(*loaded)) : nullptr;
      caf::anon_send(h, loaded_atom::value, id, std::move(rec));
    });
  }

  void loaded(const std::string& id, const stored_item_ptr& rec) {
    auto it = loading_.find(id);
    if (it == loading_.end()) return;
    auto pending = std::move(it->second);
    loading_.erase(it);
    if (!rec) {
      for (auto& c : pending) c->done(core::make_error(core::errc::not_found, fmt::format("no item '{}'", id)));
      return;
    }
    auto sup = spawn_control(rec);
    for (auto& c : pending) forward(sup, c);
  }

  // A control supervisor made its item runnable again: queue it.
  void requeue(const stored_item_ptr& rec, const caf::actor_addr& from) {
    if (auto a = by_id_.find(rec->item.id); a != by_id_.end() && a->second.address() == from) by_id_.erase(a);
    enqueue(rec);
    activate();
  }

  // A bulk action: one control per request; answers how many were accepted.
  void bulk(const bulk_ptr& b) {
    if (b->requests.empty()) return b->done(std::size_t{0});
    struct tally {
      std::size_t left, ok = 0;
      count_callback done;
    };
    auto t = std::make_shared<tally>(tally{b->requests.size(), 0, b->done});
    for (auto& req : b->requests) {
      control(std::make_shared<control_envelope>(control_envelope{std::move(req), [t](core::result<control_reply> r) {
                                                                    if (r) ++t->ok;
                                                                    if (--t->left == 0) t->done(t->ok);
                                                                  }}));
    }
  }

  void supervisor_down(const caf::down_msg& dm) {
    auto it = active_.find(dm.source);
    if (it == active_.end()) return;
    if (dm.reason && dm.reason != caf::exit_reason::user_shutdown)
      spdlog::error("event=supervisor.down item={} reason=\"{}\"", it->second.id, self_->system().render(dm.reason));
    if (auto a = by_id_.find(it->second.id); a != by_id_.end() && a->second.address() == dm.source) by_id_.erase(a);
    release_slot(it->second.workspace);
    active_.erase(it);
    finish_releases();
    activate();
    if (draining_ && active_.empty()) {
      for (auto& rp : drain_waiters_) rp.deliver(done_atom::value);
      drain_waiters_.clear();
    }
  }

  void drain(caf::response_promise rp) {
    draining_ = true;
    ctx_->flags->draining = true;
    for (auto& [id, pending] : loading_)
      for (auto& c : pending) c->done(core::make_error(core::errc::draining, "the node is shutting down"));
    loading_.clear();
    for (auto& [id, pending] : starting_)
      for (auto& c : pending.controls) c->done(core::make_error(core::errc::draining, "the node is shutting down"));
    starting_.clear();
    if (active_.empty()) return rp.deliver(done_atom::value);
    for (auto& [addr, sup] : active_) self_->send(sup.handle, drain_atom::value);
    drain_waiters_.push_back(std::move(rp));
  }

  // A batch result is ready for the item: its live supervisor asks again, or
  // the item (read from the store, parked) is queued to run if it is still
  // processing. Paused or finished items ignore it: a later run asks anyway.
  void wake(const std::string& id) {
    if (draining_) return;
    if (auto a = by_id_.find(id); a != by_id_.end()) {
      auto sup = a->second;
      self_->request(sup, std::chrono::seconds(30), wake_atom::value)
          .then([](done_atom) {},
                [this, sup, id](caf::error& e) {
                  if (e != caf::sec::request_receiver_down) return;
                  if (auto b = by_id_.find(id); b != by_id_.end() && b->second == sup) by_id_.erase(b);
                  wake(id);
                });
      return;
    }
    if (waiting_.count(id) || starting_.count(id) || !waking_.insert(id).second) return;
    ctx_->loader->load_item(id, [h = handle(), id](std::optional<store::stored_item> loaded) {
      stored_item_ptr rec = loaded ? std::make_shared<store::stored_item>(std::move(*loaded)) : nullptr;
      caf::anon_send(h, woken_atom::value, id, std::move(rec));
    });
  }

  void woken(const std::string& id, const stored_item_ptr& rec) {
    waking_.erase(id);
    if (!rec || draining_ || by_id_.count(id) || waiting_.count(id) || starting_.count(id)) return;
    if (rec->state.status != core::item_status::processing) return;
    enqueue(rec);
    activate();
  }

  // For the metrics: when the item that has waited longest was queued (0:
  // none). Each workspace's queue is FIFO, so only fronts are looked at
  // (and the few entries behind a front an operator's action took out).
  void publish_oldest() {
    std::int64_t oldest = 0;
    for (const auto& [ws, q] : queue_by_workspace_) {
      std::size_t looked = 0;
      for (const auto& e : q) {
        if (++looked > 16) break;
        if (!waiting_.count(e.id)) continue;
        if (oldest == 0 || e.since_ms < oldest) oldest = e.since_ms;
        break;
      }
    }
    ctx_->flags->oldest_waiting_ms.store(oldest, std::memory_order_relaxed);
  }

  void kill_all() {
    for (auto& [addr, sup] : active_) self_->send_exit(sup.handle, caf::exit_reason::user_shutdown);
  }

 private:
  std::uint32_t slot_of(std::string_view ws) const { return core::slot_of_workspace(ws, ctx_->cluster_slots); }
  bool released(std::string_view ws) const {
    return ctx_->cluster_slots && !released_slots_.empty() && released_slots_.count(slot_of(ws));
  }
  std::string workspace_of_waiting(const std::string& id) const {
    for (const auto& [ws, q] : queue_by_workspace_)
      for (const auto& e : q)
        if (e.id == id) return ws;
    return {};
  }
  // Answers the releases whose slots have no supervisor and nothing loading.
  void finish_releases() {
    if (releases_.empty()) return;
    for (auto it = releases_.begin(); it != releases_.end();) {
      std::set<std::uint32_t> slots((*it)->slots.begin(), (*it)->slots.end());
      bool busy = false;
      for (const auto& [addr, sup] : active_) busy = busy || slots.count(slot_of(sup.workspace));
      for (const auto& [id, s] : starting_) busy = busy || slots.count(slot_of(s.workspace));
      for (const auto& [ws, n] : accepting_by_workspace_) busy = busy || slots.count(slot_of(ws));
      if (busy) {
        ++it;
        continue;
      }
      (*it)->done();
      it = releases_.erase(it);
    }
  }

  struct active_supervisor {
    caf::actor handle;
    std::string id;
    std::string workspace;
  };
  struct starting_item {
    std::string workspace;
    std::vector<control_ptr> controls;  // actions that arrived while it loads
  };

  bool at_workspace_cap(const std::string& ws) const {
    const auto cap = ctx_->cfg->actors.max_active_per_workspace;
    if (cap == 0) return false;
    auto it = active_by_workspace_.find(ws);
    return it != active_by_workspace_.end() && it->second >= cap;
  }
  void take_slot(const std::string& ws) { ++active_by_workspace_[ws]; }
  // A workspace that was held back at its cap gets its turn again.
  void release_slot(const std::string& ws) {
    auto it = active_by_workspace_.find(ws);
    if (it == active_by_workspace_.end()) return;
    if (--it->second == 0) active_by_workspace_.erase(it);
    if (capped_.erase(ws) && queue_by_workspace_.count(ws)) rotation_.push_back(ws);
  }

  caf::actor handle() const { return caf::actor_cast<caf::actor>(self_); }

  // Hands the action to a supervisor. If it is gone by the time the message
  // arrives (it just finished), the action is routed again.
  void forward(const caf::actor& sup, const control_ptr& c) {
    self_->request(sup, std::chrono::seconds(30), control_atom::value, c)
        .then([](done_atom) {},
              [this, sup, c](caf::error& e) {
                if (e == caf::sec::request_receiver_down) {
                  if (auto a = by_id_.find(c->request.item_id); a != by_id_.end() && a->second == sup) by_id_.erase(a);
                  return control(c);
                }
                c->done(core::make_error(core::errc::internal, "the item's supervisor did not answer: " + self_->system().render(e)));
              });
  }

  caf::actor spawn_control(stored_item_ptr rec) {
    std::string id = rec->item.id;
    std::string ws = rec->item.workspace;
    take_slot(ws);
    auto sup = self_->spawn<caf::monitored>(measured_supervisor, ctx_, std::move(rec), handle(), supervisor_mode::control);
    active_.emplace(sup.address(), active_supervisor{sup, id, std::move(ws)});
    by_id_[id] = sup;
    return sup;
  }

  void enqueue(stored_item_ptr rec) {
    auto id = rec->item.id;
    const auto ws = rec->item.workspace;
    enqueue(std::move(id), ws, std::move(rec));
  }

  // rec is null for a recovered item not loaded yet.
  void enqueue(std::string id, const std::string& ws, stored_item_ptr rec) {
    auto& q = queue_by_workspace_[ws];
    if (q.empty() && !capped_.count(ws)) rotation_.push_back(ws);
    q.push_back({id, core::now_ms()});
    waiting_[std::move(id)] = std::move(rec);
    publish_counts();
  }

  bool slot_free() const { return active_.size() + starting_.size() + reserved_ < ctx_->cfg->actors.max_active; }

  // Nothing waits anywhere (so starting it now passes nobody) and a slot is free.
  bool may_start_now(const std::string& ws) const {
    return ready_ && !draining_ && rotation_.empty() && waiting_.empty() && slot_free() && !at_workspace_cap(ws);
  }

  void activate() {
    while (!draining_ && slot_free() && !rotation_.empty()) {
      auto ws = std::move(rotation_.front());
      rotation_.pop_front();
      if (at_workspace_cap(ws)) {
        capped_.insert(std::move(ws));  // back in rotation when one of its items ends
        continue;
      }
      auto q = queue_by_workspace_.find(ws);
      auto id = std::move(q->second.front().id);
      q->second.pop_front();
      if (q->second.empty()) queue_by_workspace_.erase(q);
      else rotation_.push_back(ws);
      // An id taken out of the queue by an operator's action stays in the
      // deque; it is skipped here.
      auto w = waiting_.find(id);
      if (w == waiting_.end()) continue;
      auto rec = std::move(w->second);
      waiting_.erase(w);
      take_slot(ws);
      if (!rec) {
        // Recovered: its slot is held while the loader reads it.
        starting_[id].workspace = ws;
        ctx_->loader->load_item(id, [h = handle(), id](std::optional<store::stored_item> loaded) {
          stored_item_ptr r = loaded ? std::make_shared<store::stored_item>(std::move(*loaded)) : nullptr;
          caf::anon_send(h, fetched_atom::value, id, std::move(r));
        });
        continue;
      }
      auto sup = self_->spawn<caf::monitored>(measured_supervisor, ctx_, std::move(rec), handle(), supervisor_mode::run);
      active_.emplace(sup.address(), active_supervisor{sup, id, ws});
      by_id_[id] = sup;
    }
    publish_counts();
  }

  void publish_counts() {
    ctx_->flags->waiting.store(static_cast<std::int64_t>(waiting_.size()), std::memory_order_relaxed);
    ctx_->flags->active.store(static_cast<std::int64_t>(active_.size()), std::memory_order_relaxed);
  }

  caf::event_based_actor* self_;
  context_ptr ctx_;
  core::id_generator ids_;
  struct queued_id {
    std::string id;
    std::int64_t since_ms = 0;  // when it was queued here
  };
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
  std::unordered_set<std::string> waking_;  // woken items being read
  bool ready_ = false;
  bool draining_ = false;
  std::set<std::uint32_t> released_slots_;  // (cluster) slots being handed off
  std::vector<release_ptr> releases_;
  std::unordered_map<std::string, std::size_t> accepting_by_workspace_;  // (cluster) writes of new items under way
  std::vector<caf::response_promise> drain_waiters_;
};

}  // namespace

caf::behavior admission(caf::event_based_actor* self, context_ptr ctx) {
  auto* metrics = ctx->metrics;
  auto st = std::make_shared<admission_state>(self, std::move(ctx));
  self->set_down_handler([st](caf::down_msg& dm) { st->supervisor_down(dm); });
  self->set_exit_handler([self, st](caf::exit_msg& em) {
    st->kill_all();
    self->quit(std::move(em.reason));
  });
  return instrumented(self, metrics, core::actor_kind::admission, {
      [st](submit_atom, const submission_ptr& sub) { st->submit(sub); },
      [st](accepted_atom, const stored_item_ptr& rec, bool ok, bool started) { st->accepted(rec, ok, started); },
      [st](recovered_atom, const queued_batch_ptr& batch) { st->recovered(batch); },
      [st](fetched_atom, const std::string& id, const stored_item_ptr& rec) { st->fetched(id, rec); },
      [st](ready_atom) { st->mark_ready(); },
      [st](control_atom, const control_ptr& c) { st->control(c); },
      [st](loaded_atom, const std::string& id, const stored_item_ptr& rec) { st->loaded(id, rec); },
      [self, st](requeue_atom, const stored_item_ptr& rec) { st->requeue(rec, self->current_sender()->address()); },
      [st](bulk_atom, const bulk_ptr& b) { st->bulk(b); },
      [st](wake_atom, const std::string& id) { st->wake(id); },
      [st](woken_atom, const std::string& id, const stored_item_ptr& rec) { st->woken(id, rec); },
      [self, st](drain_atom) {
        auto rp = self->make_response_promise();
        st->drain(rp);
        return rp;
      },
      [st](stats_atom) { st->publish_oldest(); },
      [st](release_atom, const release_ptr& job) { st->release(job); },
      [st](resume_atom, const slots_ptr& slots) { st->resume_slots(slots); },
  });
}

}  // namespace pw::actors
