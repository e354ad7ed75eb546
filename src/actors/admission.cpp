// Admission: intake (a submission made durable before it is answered),
// recovered items, slots (at most max_active supervisors, at most
// max_active_per_workspace of one workspace), the round robin over
// workspaces, drain, and items parked while the store refused writes.
#include "actors/admission.hpp"

#include <caf/send.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "actors/admission_impl.hpp"
#include "actors/events.hpp"
#include "actors/handoff.hpp"
#include "actors/instrument.hpp"
#include "core/asset.hpp"
#include "core/clock.hpp"
#include "core/failpoint.hpp"
#include "core/item_run.hpp"
#include "core/kill_point.hpp"
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

}  // namespace

void admission_state::submit(const submission_ptr& sub) {
  auto refuse = [&](core::errc code, std::string msg) { sub->done(core::make_error(code, std::move(msg))); };
  if (!ready_) return refuse(core::errc::not_ready, "the node is recovering accepted work; retry shortly");
  if (draining_) return refuse(core::errc::draining, "the node is shutting down; retry on another node or later");
  if (auto failure = ctx_->writer->failure()) return sub->done(core::store_refused(*failure));
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
  auto answer = [sub, reply, w = ctx_->writer](bool ok) {
    if (ok) sub->done(reply);
    else sub->done(core::store_refused(w->failure().value_or("the store refused the write")));
  };
  // Admission learns of the item before its caller does: an operator's
  // action on the new id (sent once the 201 is read) then finds it queued
  // or running, never absent, which would start a second supervisor for it
  // beside the one `accepted` starts (found by the soak: two writers of one
  // item, its history and counters written twice).
  auto outcome = ctx_->writer->commit(std::move(ws), [answer, rec, start_now, h = handle()](bool ok) {
    post(h, accepted_atom::value, rec, ok, start_now);
    core::pausepoint("admission.accepted_sent");
    answer(ok);
  });
  if (outcome == store::writer::outcome::queued) return;
  const bool ok = outcome == store::writer::outcome::committed;
  answer(ok);
  accepted(rec, ok, start_now);
}

void admission_state::accepted(const stored_item_ptr& rec, bool ok, bool started) {
  spdlog::debug("event=item.accepted item={} ok={} started={}", rec->item.id, ok, started);
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
      spawn_supervisor(rec, supervisor_mode::begun, rec->item.id, rec->item.workspace);
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
// cluster a slot's items are handed over again when the node takes the slot
// (back), and a batch result may have woken an item already (the batch
// service starts beside recovery): those already held are skipped, so an
// item has one supervisor.
void admission_state::recovered(const queued_batch_ptr& batch) {
  for (auto& r : *batch) {
    if (released(r.workspace) || held(r.id)) continue;
    enqueue(std::move(r.id), r.workspace, nullptr);
  }
  activate();
}

// A recovered (or parked) item's record arrived for the slot reserved for it.
void admission_state::fetched(const std::string& id, const stored_item_ptr& rec) {
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
  } else if (!store::in_queue(rec->state.status)) {
    // Parked while the store refused writes, and since then paused or
    // finished: nothing to run. Its actions go where any stored item's go.
    release_slot(ws);
    for (auto& c : pending) control(c);
  } else {
    PW_KILL_POINT(recovery_load);
    auto sup = spawn_supervisor(rec, supervisor_mode::run, id, ws);
    for (auto& c : pending) forward(sup, c);
  }
  activate();
}

void admission_state::mark_ready() {
  ready_ = true;
  ctx_->flags->ready = true;
}

void admission_state::parked(const std::string& id, const std::string& workspace) { parked_[id] = workspace; }

// The store takes writes again: parked items run from what it has.
void admission_state::store_ok() {
  auto parked = std::move(parked_);
  parked_.clear();
  spdlog::info("event=store.resume_parked items={}", parked.size());
  for (auto& [id, ws] : parked)
    if (!held(id)) enqueue(id, ws, nullptr);
  activate();
}

bool admission_state::held(const std::string& id) const {
  return by_id_.count(id) || waiting_.count(id) || starting_.count(id) || loading_.count(id) || waking_.count(id);
}

void admission_state::supervisor_down(const caf::down_msg& dm) {
  auto it = active_.find(dm.source);
  if (it == active_.end()) return;
  spdlog::debug("event=supervisor.stop item={} actor={}", it->second.id, it->second.handle.id());
  if (dm.reason && dm.reason != caf::exit_reason::user_shutdown && !parked_.count(it->second.id))
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

void admission_state::drain(caf::response_promise rp) {
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

// For the metrics: when the item that has waited longest was queued (0:
// none). Each workspace's queue is FIFO, so only fronts are looked at
// (and the few entries behind a front an operator's action took out).
void admission_state::publish_oldest() {
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

void admission_state::kill_all() {
  for (auto& [addr, sup] : active_) self_->send_exit(sup.handle, caf::exit_reason::user_shutdown);
}

bool admission_state::at_workspace_cap(const std::string& ws) const {
  const auto cap = ctx_->cfg->actors.max_active_per_workspace;
  if (cap == 0) return false;
  auto it = active_by_workspace_.find(ws);
  return it != active_by_workspace_.end() && it->second >= cap;
}

// A workspace that was held back at its cap gets its turn again.
void admission_state::release_slot(const std::string& ws) {
  auto it = active_by_workspace_.find(ws);
  if (it == active_by_workspace_.end()) return;
  if (--it->second == 0) active_by_workspace_.erase(it);
  if (capped_.erase(ws) && queue_by_workspace_.count(ws)) rotation_.push_back(ws);
}

caf::actor admission_state::spawn_supervisor(stored_item_ptr rec, supervisor_mode mode, std::string id, std::string ws) {
  auto sup = self_->spawn<caf::monitored>(measured_supervisor, ctx_, std::move(rec), handle(), mode);
  spdlog::debug("event=supervisor.start item={} mode={} actor={}", id, static_cast<int>(mode), sup.id());
  by_id_[id] = sup;
  active_.emplace(sup.address(), active_supervisor{sup, std::move(id), std::move(ws)});
  return sup;
}

caf::actor admission_state::spawn_control(stored_item_ptr rec) {
  std::string id = rec->item.id;
  std::string ws = rec->item.workspace;
  take_slot(ws);
  return spawn_supervisor(std::move(rec), supervisor_mode::control, id, ws);
}

void admission_state::enqueue(stored_item_ptr rec) {
  auto id = rec->item.id;
  const auto ws = rec->item.workspace;
  enqueue(std::move(id), ws, std::move(rec));
}

void admission_state::enqueue(std::string id, const std::string& ws, stored_item_ptr rec) {
  auto& q = queue_by_workspace_[ws];
  if (q.empty() && !capped_.count(ws)) rotation_.push_back(ws);
  q.push_back({id, core::now_ms()});
  waiting_[std::move(id)] = std::move(rec);
  publish_counts();
}

// Nothing waits anywhere (so starting it now passes nobody) and a slot is free.
bool admission_state::may_start_now(const std::string& ws) const {
  return ready_ && !draining_ && rotation_.empty() && waiting_.empty() && slot_free() && !at_workspace_cap(ws);
}

void admission_state::activate() {
  // While the store refuses writes, a started item could not persist a step:
  // items wait here until it takes writes again (store_ok).
  while (!draining_ && ctx_->writer->healthy() && slot_free() && !rotation_.empty()) {
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
        post(h, fetched_atom::value, id, std::move(r));
      });
      continue;
    }
    spawn_supervisor(std::move(rec), supervisor_mode::run, id, ws);
  }
  publish_counts();
}

void admission_state::publish_counts() {
  ctx_->flags->waiting.store(static_cast<std::int64_t>(waiting_.size()), std::memory_order_relaxed);
  ctx_->flags->active.store(static_cast<std::int64_t>(active_.size()), std::memory_order_relaxed);
}

caf::behavior admission(caf::event_based_actor* self, context_ptr ctx) {
  handoff_acquire();
  auto* metrics = ctx->metrics;
  auto st = std::make_shared<admission_state>(self, std::move(ctx));
  self->set_down_handler([st](caf::down_msg& dm) {
    handoff_acquire();
    st->supervisor_down(dm);
  });
  self->set_exit_handler([self, st](caf::exit_msg& em) {
    handoff_acquire();
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
      [st](parked_atom, const std::string& id, const std::string& ws) { st->parked(id, ws); },
      [st](store_ok_atom) { st->store_ok(); },
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
