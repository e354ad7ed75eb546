// The agent's part in events (DESIGN §8): the outbox shipped to each room's
// node, applied there once (per origin and room), pushed to the nodes that
// hold sockets of the room, and replays read from the room's node.
#include <caf/all.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "actors/handoff.hpp"
#include "cluster/agent_impl.hpp"
#include "core/node_metrics.hpp"
#include "store/write_set.hpp"

namespace pw::cluster {

namespace {

constexpr std::size_t outbox_page = 4096;
constexpr std::size_t shipment_max = 1024;

// A socket of another node, as the room's node's notifier sees it.
class remote_sink final : public actors::event_sink {
 public:
  remote_sink(caf::actor agent, std::string node, std::string room) : agent_(std::move(agent)), node_(std::move(node)) {
    rooms_.push_back(std::move(room));
  }
  const std::vector<std::string>& rooms() const override { return rooms_; }
  void deliver(const std::string& room, std::uint64_t seq, std::shared_ptr<const std::string> frame, std::int64_t) override {
    actors::post(agent_, push_out_atom::value, node_, room, seq, *frame);
  }
  void deliver_live(std::shared_ptr<const std::string>) override {}
  void joined() override {}

 private:
  caf::actor agent_;
  std::string node_;
  std::vector<std::string> rooms_;
};

bool serves_room(const agent_env& env, const std::string& room) {
  return env.slots->get(core::slot_of_room(room, env.cfg->slots)) == slot_state::serving;
}

}  // namespace

// ---- the outbox --------------------------------------------------------------------

void agent_state::ship() {
  if (reading_outbox_) {
    ship_again_ = true;
    return;
  }
  if (!view_) return;
  ship_again_ = false;
  reading_outbox_ = true;
  auto h = caf::actor_cast<caf::actor>(self);
  env->rt->loader().post([h, after = ship_cursor_](const store::database& db) {
    actors::post(h, outbox_read_atom::value, std::make_shared<std::vector<std::pair<std::uint64_t, std::string>>>(db.outbox(after, outbox_page)));
  });
}

void agent_state::outbox_read(const outbox_page_ptr& page) {
  reading_outbox_ = false;
  std::map<std::string, std::vector<wire_event>> by_node;
  bool stuck = false;
  for (auto& [seq, value] : *page) {
    if (in_flight_.count(seq)) continue;
    auto zero = value.find('\0');
    if (zero == std::string::npos) continue;
    std::string room = value.substr(0, zero);
    auto home = home_of(room);
    if (!home) {
      stuck = true;  // its node is lost, moving or not known yet: later
      continue;
    }
    auto& batch = by_node[*home];
    if (batch.size() >= shipment_max || shipping_.count(*home)) {
      ship_again_ = true;
      continue;
    }
    batch.push_back(wire_event{seq, std::move(room), value.substr(zero + 1)});
  }
  for (auto& [node, batch] : by_node) {
    if (batch.empty()) continue;
    auto& s = shipping_[node];
    s.deadline_ms = steady_ms() + std::max<std::int64_t>(2000, env->cfg->forward_timeout_ms);
    for (const auto& e : batch) {
      s.seqs.push_back(e.outbox_seq);
      in_flight_.insert(e.outbox_seq);
    }
    if (node == env->cfg->node) {
      // The room moved here: apply as if shipped.
      events_in(node, env->cfg->node, batch);
    } else if (auto to = peer_agent(node)) {
      self->send(to, events_atom::value, env->cfg->node, wire_events{std::move(batch)});
    }
  }
  if (page->size() == outbox_page) {
    ship_cursor_ = page->back().first;
    return ship();
  }
  ship_cursor_ = 0;
  if (stuck) next_stuck_ship_ms_ = steady_ms() + 1000;
  if (ship_again_ && shipping_.empty()) ship();
}

// The room's node: applies the events of rooms it serves, once each.
void agent_state::events_in(const std::string& peer, const std::string& origin, std::vector<wire_event>& batch) {
  auto h = caf::actor_cast<caf::actor>(self);
  auto cache = applied_cache_;
  auto env_copy = env;
  env->rt->loader().post([h, peer, origin, batch = std::move(batch), cache, env_copy](const store::database& db) mutable {
    store::write_set ws;
    auto acked = std::make_shared<std::vector<std::uint64_t>>();
    std::map<std::string, std::uint64_t> last;
    for (auto& e : batch) {
      if (!serves_room(*env_copy, e.room)) continue;  // not ours (now): it stays in the origin's outbox
      const auto key = e.room + '\0' + origin;
      auto it = cache->find(key);
      if (it == cache->end()) it = cache->emplace(key, db.applied(e.room, origin)).first;
      acked->push_back(e.outbox_seq);
      if (e.outbox_seq <= it->second) continue;  // applied before: a resend
      it->second = e.outbox_seq;
      last[e.room] = e.outbox_seq;
      ws.emit(e.room, std::move(e.tail));
    }
    for (const auto& [room, seq] : last) ws.applied(room, origin, seq);
    if (ws.empty()) return actors::post(h, applied_atom::value, peer, std::move(acked));
    env_copy->rt->writer().submit(std::move(ws), [h, peer, acked](bool ok) {
      actors::post(h, applied_atom::value, peer, ok ? acked : std::make_shared<std::vector<std::uint64_t>>());
    });
  });
}

void agent_state::applied(const std::string& peer, const seqs_ptr& seqs) {
  if (peer == env->cfg->node) return events_ok(peer, wire_seqs{*seqs});
  if (auto to = peer_agent(peer)) self->send(to, events_ok_atom::value, wire_seqs{*seqs});
}

// The origin: what was applied leaves the outbox; the rest goes again later.
void agent_state::events_ok(const std::string& peer, const wire_seqs& seqs) {
  auto it = shipping_.find(peer);
  if (it != shipping_.end()) {
    for (auto s : it->second.seqs) in_flight_.erase(s);
    shipping_.erase(it);
  }
  if (!seqs.seqs.empty()) {
    store::write_set ws;
    for (auto s : seqs.seqs) ws.erase_raw(store::cf::outbox, store::outbox_key(s));
    env->rt->writer().submit(std::move(ws), nullptr);
  }
  ship();
}

// ---- subscriptions ------------------------------------------------------------------

void agent_state::finish_sub(const sub_ptr& job, bool ok) {
  auto it = sub_jobs_.find(job);
  if (it == sub_jobs_.end()) return;
  if (!ok) {
    sub_jobs_.erase(it);
    return job->done(false);
  }
  if (--it->second == 0) {
    sub_jobs_.erase(it);
    job->done(true);
  }
}

void agent_state::subscribe_local(const sub_ptr& job) {
  sub_jobs_[job] = job->rooms.size() + 1;
  for (const auto& room : job->rooms) {
    auto home = home_of(room);
    if (!home) {
      finish_sub(job, false);
      continue;
    }
    auto& s = subs_[room];
    ++s.refs;
    if (*home == env->cfg->node && s.node.empty()) {
      finish_sub(job, true);  // its log is here: the local notifier has it
      continue;
    }
    if (!s.node.empty() && s.ready) {
      finish_sub(job, true);
      continue;
    }
    s.waiting.push_back(job);
    if (s.node.empty()) {
      s.node = *home;
      if (auto to = peer_agent(*home)) self->send(to, sub_atom::value, room);
    }
  }
  finish_sub(job, true);
}

void agent_state::sub_ok(const std::string& peer, const std::string& room) {
  auto it = subs_.find(room);
  if (it == subs_.end() || it->second.node != peer) return;
  it->second.ready = true;
  auto waiting = std::move(it->second.waiting);
  for (auto& job : waiting) finish_sub(job, true);
}

void agent_state::unsubscribe_local(const std::string& room) {
  auto it = subs_.find(room);
  if (it == subs_.end()) return;
  if (--it->second.refs > 0) return;
  if (!it->second.node.empty())
    if (auto to = peer_agent(it->second.node)) self->send(to, unsub_atom::value, room);
  subs_.erase(it);
}

void agent_state::sub_in(const std::string& peer, const std::string& room) {
  auto to = peer_agent(peer);
  if (!to) return;
  if (!serves_room(*env, room)) return self->send(to, lost_atom::value, room);
  auto& sinks = listeners_[room];
  if (!sinks.count(peer)) {
    auto sink = std::make_shared<remote_sink>(caf::actor_cast<caf::actor>(self), peer, room);
    sinks.emplace(peer, sink);
    env->rt->rooms().join_quiet(sink);
  }
  self->send(to, sub_ok_atom::value, room);
}

void agent_state::unsub_in(const std::string& peer, const std::string& room) {
  auto it = listeners_.find(room);
  if (it == listeners_.end()) return;
  if (auto s = it->second.find(peer); s != it->second.end()) {
    env->rt->rooms().leave(s->second);
    it->second.erase(s);
  }
  if (it->second.empty()) listeners_.erase(it);
}

void agent_state::push_out(const std::string& node, const std::string& room, std::uint64_t seq, const std::string& frame) {
  if (auto to = peer_agent(node)) self->send(to, push_atom::value, room, seq, frame);
}

void agent_state::push_in(const std::string& room, std::uint64_t seq, const std::string& frame) {
  std::vector<store::committed_event> events;
  events.push_back(store::committed_event{room, seq, std::make_shared<const std::string>(frame), core::node_metrics::now_ns()});
  env->rt->rooms().publish(events);
}

void agent_state::lost_in(const std::string& peer, const std::string& room) {
  auto it = subs_.find(room);
  if (it == subs_.end() || it->second.node != peer) return;
  auto waiting = std::move(it->second.waiting);
  subs_.erase(it);
  for (auto& job : waiting) finish_sub(job, false);
  env->rt->rooms().interrupt(room);
}

// Our slots left (a handoff, a lost lease): listeners elsewhere and our own
// sockets of their rooms must reconnect to the rooms' new node.
void agent_state::rooms_gone(const std::vector<std::uint32_t>& slots) {
  std::set<std::uint32_t> gone(slots.begin(), slots.end());
  for (auto it = listeners_.begin(); it != listeners_.end();) {
    if (!gone.count(core::slot_of_room(it->first, env->cfg->slots))) {
      ++it;
      continue;
    }
    for (auto& [node, sink] : it->second) {
      env->rt->rooms().leave(sink);
      if (auto to = peer_agent(node)) self->send(to, lost_atom::value, it->first);
    }
    env->rt->rooms().interrupt(it->first);
    it = listeners_.erase(it);
  }
  // Our own sockets of rooms that lived here.
  auto interrupt_local = [this, gone](const std::string& room) {
    if (gone.count(core::slot_of_room(room, env->cfg->slots))) env->rt->rooms().interrupt(room);
  };
  env->rt->rooms().for_each_room(interrupt_local);
  auto cache = applied_cache_;
  const auto n = env->cfg->slots;
  env->rt->loader().post([cache, gone, n](const store::database&) {
    for (auto it = cache->begin(); it != cache->end();)
      it = gone.count(core::slot_of_room(it->first.substr(0, it->first.find('\0')), n)) ? cache->erase(it) : std::next(it);
  });
}

void agent_state::peer_events_lost(const std::string& peer) {
  for (auto it = subs_.begin(); it != subs_.end();) {
    if (it->second.node != peer) {
      ++it;
      continue;
    }
    auto waiting = std::move(it->second.waiting);
    auto room = it->first;
    it = subs_.erase(it);
    for (auto& job : waiting) finish_sub(job, false);
    env->rt->rooms().interrupt(room);
  }
  for (auto it = listeners_.begin(); it != listeners_.end();) {
    if (auto s = it->second.find(peer); s != it->second.end()) {
      env->rt->rooms().leave(s->second);
      it->second.erase(s);
    }
    it = it->second.empty() ? listeners_.erase(it) : std::next(it);
  }
  if (auto it = shipping_.find(peer); it != shipping_.end()) {
    for (auto s : it->second.seqs) in_flight_.erase(s);
    shipping_.erase(it);
  }
}

// ---- replays ----------------------------------------------------------------------

void agent_state::replay_out(const replay_ptr& job) {
  auto home = home_of(job->room);
  if (!home) return job->done(std::nullopt);
  if (*home == env->cfg->node) {
    return env->rt->loader().post([job](const store::database& db) {
      auto page = db.events(job->room, job->after, job->limit);
      job->done(actors::replay_page{std::move(page.events), page.first_retained, page.last_seq});
    });
  }
  auto to = peer_agent(*home);
  if (!to) return job->done(std::nullopt);
  const auto corr = next_corr_++;
  replays_.emplace(corr, pending_replay{*home, job->done, steady_ms() + env->cfg->forward_timeout_ms});
  self->send(to, replay_atom::value, corr, job->room, job->after, static_cast<std::uint64_t>(job->limit));
}

void agent_state::replay_in(const std::string& peer, std::uint64_t corr, const std::string& room, std::uint64_t after,
                            std::uint64_t limit) {
  if (!serves_room(*env, room)) {
    if (auto to = peer_agent(peer)) self->send(to, replay_rep_atom::value, corr, wire_page{{}, {}, 0, 0, false});
    return;
  }
  auto h = caf::actor_cast<caf::actor>(self);
  env->rt->loader().post([h, peer, corr, room, after, limit](const store::database& db) {
    auto page = db.events(room, after, std::min<std::uint64_t>(limit, 1024));
    actors::post(h, replay_read_atom::value, peer, corr,
                   std::make_shared<actors::replay_page>(actors::replay_page{std::move(page.events), page.first_retained, page.last_seq}));
  });
}

void agent_state::replay_done(const std::string& peer, std::uint64_t corr, const page_ptr& page) {
  auto to = peer_agent(peer);
  if (!to) return;
  wire_page w;
  for (auto& [seq, frame] : page->events) {
    w.seqs.push_back(seq);
    w.frames.push_back(std::move(frame));
  }
  w.first_retained = page->first_retained;
  w.last_seq = page->last_seq;
  self->send(to, replay_rep_atom::value, corr, std::move(w));
}

void agent_state::replay_reply(std::uint64_t corr, wire_page& w) {
  auto it = replays_.find(corr);
  if (it == replays_.end()) return;
  auto done = std::move(it->second.done);
  replays_.erase(it);
  if (!w.ok) return done(std::nullopt);
  actors::replay_page page;
  for (std::size_t i = 0; i < w.seqs.size() && i < w.frames.size(); ++i) page.events.emplace_back(w.seqs[i], std::move(w.frames[i]));
  page.first_retained = w.first_retained;
  page.last_seq = w.last_seq;
  done(std::move(page));
}

}  // namespace pw::cluster
