// Admission: operators' actions and batch wake-ups, routed to whoever holds
// the item: its supervisor, the waiting queue, or the store (through the
// loader, then a supervisor in control mode that hands the item back when it
// can run).
#include <chrono>

#include <caf/send.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "actors/admission_impl.hpp"
#include "actors/handoff.hpp"

namespace pw::actors {

void admission_state::control(const control_ptr& c) {
  if (!ready_) return c->done(core::make_error(core::errc::not_ready, "the node is recovering; retry shortly"));
  if (draining_) return c->done(core::make_error(core::errc::draining, "the node is shutting down; retry later"));
  const auto& id = c->request.item_id;
  if (auto a = by_id_.find(id); a != by_id_.end()) {
    spdlog::debug("event=control.route item={} action={} to=supervisor actor={}", id, static_cast<int>(c->request.action), a->second.id());
    return forward(a->second, c);
  }
  spdlog::debug("event=control.route item={} action={} starting={} waiting={} loading={}", id, static_cast<int>(c->request.action),
                starting_.count(id), waiting_.count(id), loading_.count(id));
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
    post(h, loaded_atom::value, id, std::move(rec));
  });
}

void admission_state::loaded(const std::string& id, const stored_item_ptr& rec) {
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
void admission_state::requeue(const stored_item_ptr& rec, const caf::actor_addr& from) {
  if (auto a = by_id_.find(rec->item.id); a != by_id_.end() && a->second.address() == from) by_id_.erase(a);
  enqueue(rec);
  activate();
}

// A bulk action: one control per request; answers how many were accepted.
void admission_state::bulk(const bulk_ptr& b) {
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

void admission_state::wake(const std::string& id) {
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
  // Paused or finished items ignore it: a later run asks anyway.
  if (waiting_.count(id) || starting_.count(id) || !waking_.insert(id).second) return;
  ctx_->loader->load_item(id, [h = handle(), id](std::optional<store::stored_item> loaded) {
    stored_item_ptr rec = loaded ? std::make_shared<store::stored_item>(std::move(*loaded)) : nullptr;
    post(h, woken_atom::value, id, std::move(rec));
  });
}

void admission_state::woken(const std::string& id, const stored_item_ptr& rec) {
  waking_.erase(id);
  if (!rec || draining_ || held(id)) return;
  if (rec->state.status != core::item_status::processing) return;
  enqueue(rec);
  activate();
}

// Hands the action to a supervisor. If it is gone by the time the message
// arrives (it just finished), the action is routed again.
void admission_state::forward(const caf::actor& sup, const control_ptr& c) {
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

}  // namespace pw::actors
