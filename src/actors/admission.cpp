#include "actors/admission.hpp"

#include <deque>
#include <unordered_map>

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "actors/messages.hpp"
#include "actors/supervisor.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"

namespace pw::actors {

namespace {

class admission_state {
 public:
  admission_state(caf::event_based_actor* self, context_ptr ctx) : self_(self), ctx_(std::move(ctx)) {}

  void submit(const submission_ptr& sub) {
    auto refuse = [&](core::errc code, std::string msg) { sub->done(core::make_error(code, std::move(msg))); };
    if (!ready_) return refuse(core::errc::not_ready, "the node is recovering accepted work; retry shortly");
    if (draining_) return refuse(core::errc::draining, "the node is shutting down; retry on another node or later");
    if (waiting_ + active_.size() + accepting_ >= ctx_->cfg->actors.max_queued)
      return refuse(core::errc::queue_full, "the queue is full (actors.max_queued); retry later");
    auto p = ctx_->pipelines.find(sub->request.pipeline);
    if (p == ctx_->pipelines.end())
      return refuse(core::errc::validation_failed, "no pipeline '" + sub->request.pipeline + "'");

    const auto now = core::now_ms();
    auto rec = std::make_shared<store::stored_item>();
    auto& it = rec->item;
    auto& req = sub->request;
    it.id = ids_.next(now);
    it.owner = std::move(req.owner);
    it.workspace = std::move(req.workspace);
    it.pipeline = std::move(req.pipeline);
    it.title = std::move(req.title);
    it.text = std::move(req.text);
    it.metadata_json = std::move(req.metadata_json);
    it.created_at_ms = now;
    rec->state.stages.assign(p->second.pipeline->size(), core::stage_state{});
    rec->state.history_seq = 1;

    store::write_set ws;
    ws.put_item(it);
    ws.put_state(it.id, *p->second.pipeline, rec->state);
    ws.append_history(it.id, 0, core::history_entry{now, {}, {}, "queued", 0, "accepted"});
    ws.enqueue(it.id);
    ws.count_status(it.workspace, std::nullopt, core::item_status::queued);
    ++accepting_;
    ctx_->writer->submit(std::move(ws), [sub, rec, h = caf::actor_cast<caf::actor>(self_)](bool ok) {
      if (ok) sub->done(submit_reply{rec->item.id, rec->item.created_at_ms});
      else sub->done(core::make_error(core::errc::store_failed, "the store refused the write; see the server log"));
      caf::anon_send(h, accepted_atom::value, rec, ok);
    });
  }

  void accepted(const stored_item_ptr& rec, bool ok) {
    --accepting_;
    if (ok) {
      spdlog::debug("event=item.accepted item={} owner={} workspace={}", rec->item.id, rec->item.owner,
                    rec->item.workspace);
      enqueue(rec);
    }
    activate();
  }

  void recovered(const stored_batch_ptr& batch) {
    for (auto& r : *batch) enqueue(std::make_shared<store::stored_item>(std::move(r)));
    activate();
  }

  void mark_ready() {
    ready_ = true;
    ctx_->flags->ready = true;
  }

  void supervisor_down(const caf::down_msg& dm) {
    auto it = active_.find(dm.source);
    if (it == active_.end()) return;
    if (dm.reason && dm.reason != caf::exit_reason::user_shutdown)
      spdlog::error("event=supervisor.down item={} reason=\"{}\"", it->second.id, self_->system().render(dm.reason));
    active_.erase(it);
    activate();
    if (draining_ && active_.empty()) {
      for (auto& rp : drain_waiters_) rp.deliver(done_atom::value);
      drain_waiters_.clear();
    }
  }

  void drain(caf::response_promise rp) {
    draining_ = true;
    ctx_->flags->draining = true;
    if (active_.empty()) return rp.deliver(done_atom::value);
    for (auto& [addr, sup] : active_) self_->send(sup.handle, drain_atom::value);
    drain_waiters_.push_back(std::move(rp));
  }

  void kill_all() {
    for (auto& [addr, sup] : active_) self_->send_exit(sup.handle, caf::exit_reason::user_shutdown);
  }

 private:
  struct active_supervisor {
    caf::actor handle;
    std::string id;
  };

  void enqueue(stored_item_ptr rec) {
    auto& q = waiting_by_workspace_[rec->item.workspace];
    if (q.empty()) rotation_.push_back(rec->item.workspace);
    q.push_back(std::move(rec));
    ++waiting_;
    publish_counts();
  }

  void activate() {
    while (!draining_ && active_.size() < ctx_->cfg->actors.max_active && !rotation_.empty()) {
      auto ws = std::move(rotation_.front());
      rotation_.pop_front();
      auto q = waiting_by_workspace_.find(ws);
      auto rec = std::move(q->second.front());
      q->second.pop_front();
      --waiting_;
      if (q->second.empty()) waiting_by_workspace_.erase(q);
      else rotation_.push_back(std::move(ws));
      std::string id = rec->item.id;
      auto sup = self_->spawn<caf::monitored>(item_supervisor, ctx_, std::move(rec));
      active_.emplace(sup.address(), active_supervisor{sup, std::move(id)});
    }
    publish_counts();
  }

  void publish_counts() {
    ctx_->flags->waiting.store(static_cast<std::int64_t>(waiting_), std::memory_order_relaxed);
    ctx_->flags->active.store(static_cast<std::int64_t>(active_.size()), std::memory_order_relaxed);
  }

  caf::event_based_actor* self_;
  context_ptr ctx_;
  core::id_generator ids_;
  std::unordered_map<std::string, std::deque<stored_item_ptr>> waiting_by_workspace_;
  std::deque<std::string> rotation_;
  std::size_t waiting_ = 0;
  std::size_t accepting_ = 0;
  std::unordered_map<caf::actor_addr, active_supervisor> active_;
  bool ready_ = false;
  bool draining_ = false;
  std::vector<caf::response_promise> drain_waiters_;
};

}  // namespace

caf::behavior admission(caf::event_based_actor* self, context_ptr ctx) {
  auto st = std::make_shared<admission_state>(self, std::move(ctx));
  self->set_down_handler([st](caf::down_msg& dm) { st->supervisor_down(dm); });
  self->set_exit_handler([self, st](caf::exit_msg& em) {
    st->kill_all();
    self->quit(std::move(em.reason));
  });
  return {
      [st](submit_atom, const submission_ptr& sub) { st->submit(sub); },
      [st](accepted_atom, const stored_item_ptr& rec, bool ok) { st->accepted(rec, ok); },
      [st](recovered_atom, const stored_batch_ptr& batch) { st->recovered(batch); },
      [st](ready_atom) { st->mark_ready(); },
      [self, st](drain_atom) {
        auto rp = self->make_response_promise();
        st->drain(rp);
        return rp;
      },
  };
}

}  // namespace pw::actors
