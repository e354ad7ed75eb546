#include "cluster/agent_impl.hpp"

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "actors/handoff.hpp"
#include "actors/instrument.hpp"
#include "core/clock.hpp"

namespace pw::cluster {

// ---- links -------------------------------------------------------------------

agent_state::agent_state(caf::event_based_actor* s, std::shared_ptr<agent_env> e)
    : self(s), env(std::move(e)), rng_(std::random_device{}()) {}

std::optional<std::string> agent_state::peer_of_sender() const {
  const auto& sender = self->current_sender();
  if (!sender) return std::nullopt;
  if (sender->node() == self->node()) return std::nullopt;
  return env->trusted->name_of(sender->node());
}

caf::actor agent_state::peer_agent(const std::string& node) const {
  auto it = peers_.find(node);
  if (it == peers_.end() || it->second.st != peer_link::state::up) return {};
  return it->second.agent;
}

void agent_state::on_view(view_ptr v) {
  view_ = std::move(v);
  tick();
  ship();
}

void agent_state::tick() {
  const auto now = steady_ms();
  // Links to every live member.
  if (view_) {
    for (const auto& [node, m] : view_->members) {
      if (node == env->cfg->node || m.peer_port == 0) continue;
      auto& p = peers_[node];
      if (p.st == peer_link::state::down && now >= p.next_attempt_ms) connect(node, m);
    }
  }
  // Forwarded requests past their time.
  for (auto it = forwards_.begin(); it != forwards_.end();) {
    if (now < it->second.deadline_ms) {
      ++it;
      continue;
    }
    spdlog::warn("event=cluster.forward_timeout node={} to={} timeout_ms={}", env->cfg->node, it->second.node,
                 env->cfg->forward_timeout_ms);
    it->second.respond(net::error_response(core::errc::unavailable,
                                           fmt::format("node {} did not answer within {} ms (cluster.forward_timeout_ms)",
                                                       it->second.node, env->cfg->forward_timeout_ms)));
    it = forwards_.erase(it);
  }
  for (auto it = replays_.begin(); it != replays_.end();) {
    if (now < it->second.deadline_ms) {
      ++it;
      continue;
    }
    it->second.done(std::nullopt);
    it = replays_.erase(it);
  }
  // Shipments not acknowledged in time go again.
  for (auto it = shipping_.begin(); it != shipping_.end();) {
    if (now < it->second.deadline_ms) {
      ++it;
      continue;
    }
    for (auto s : it->second.seqs) in_flight_.erase(s);
    it = shipping_.erase(it);
    ship_again_ = true;
  }
  if (ship_again_ || (next_stuck_ship_ms_ && now >= next_stuck_ship_ms_)) {
    next_stuck_ship_ms_ = 0;
    ship();
  }
}

// Connects to a member's door, proves the secret and checks the door's proof
// in turn, then monitors the member's agent.
void agent_state::connect(const std::string& node, const member_info& m) {
  auto& p = peers_[node];
  p.st = peer_link::state::connecting;
  const auto attempt = ++p.attempt;
  const auto timeout = std::chrono::milliseconds(std::max<std::int64_t>(1000, env->cfg->peer_timeout_ms));
  auto fail = [this, node, attempt](const std::string& why) {
    auto it = peers_.find(node);
    if (it == peers_.end() || it->second.attempt != attempt || it->second.st != peer_link::state::connecting) return;
    it->second.st = peer_link::state::down;
    it->second.backoff_ms = std::min<std::int64_t>(2000, it->second.backoff_ms * 2);
    it->second.next_attempt_ms = steady_ms() + it->second.backoff_ms;
    spdlog::debug("event=cluster.connect_failed node={} peer={} error=\"{}\"", env->cfg->node, node, why);
  };
  const auto nonce = fmt::format("{:016x}{:016x}", rng_(), rng_());
  self->request(self->system().middleman().actor_handle(), timeout, caf::connect_atom::value, m.peer_host, m.peer_port)
      .then(
          [=, this](const caf::node_id& door_id, caf::strong_actor_ptr& ptr, const std::set<std::string>&) {
            if (!ptr) return fail("no door published");
            auto door = caf::actor_cast<caf::actor>(ptr);
            self->request(door, timeout, hello_atom::value, nonce)
                .then(
                    [=, this](const std::string& door_nonce, const std::string& door_node, const std::string& door_proof) {
                      if (door_node != node || door_proof != proof(env->cfg->secret, "door|" + nonce + "|" + door_node))
                        return fail("the door did not prove the cluster secret");
                      // The door proved the secret on our fresh nonce: its node is
                      // trusted now. Waiting for that node to pass our own door
                      // would drop its answers to what we send once linked (a
                      // handoff's acknowledgements stalled until its timeout).
                      env->trusted->add(door_id, node);
                      self->request(door, timeout, auth_atom::value, env->cfg->node,
                                    proof(env->cfg->secret, "node|" + door_nonce + "|" + env->cfg->node))
                          .then(
                              [=, this](const caf::actor& peer) {
                                auto it = peers_.find(node);
                                if (it == peers_.end() || it->second.attempt != attempt) return;
                                it->second.st = peer_link::state::up;
                                it->second.agent = peer;
                                it->second.backoff_ms = 100;
                                self->monitor(peer);
                                env->links->set(node, true);
                                spdlog::info("event=cluster.linked node={} peer={}", env->cfg->node, node);
                                if (env->wake) env->wake();
                                if (env->ctl) env->ctl->poke();
                                ship();
                              },
                              [=, this](caf::error& e) { fail(self->system().render(e)); });
                    },
                    [=, this](caf::error& e) { fail(self->system().render(e)); });
          },
          [=, this](caf::error& e) { fail(self->system().render(e)); });
}

void agent_state::on_down(const caf::down_msg& dm) {
  for (auto& [node, p] : peers_) {
    if (p.st != peer_link::state::up || p.agent.address() != dm.source) continue;
    link_down(node, "down");
    return;
  }
}

// A peer is lost: everything waiting on it fails now, not at its timeout.
void agent_state::link_down(const std::string& node, const char* why) {
  auto& p = peers_[node];
  p.st = peer_link::state::down;
  p.agent = nullptr;
  p.next_attempt_ms = steady_ms() + p.backoff_ms;
  env->links->set(node, false);
  std::size_t failed = 0;
  for (auto it = forwards_.begin(); it != forwards_.end();) {
    if (it->second.node != node) {
      ++it;
      continue;
    }
    it->second.respond(net::error_response(core::errc::unavailable, fmt::format("node {} was lost while it held the request", node)));
    it = forwards_.erase(it);
    ++failed;
  }
  for (auto it = replays_.begin(); it != replays_.end();) {
    if (it->second.node != node) {
      ++it;
      continue;
    }
    it->second.done(std::nullopt);
    it = replays_.erase(it);
  }
  spdlog::warn("event=cluster.peer_lost node={} peer={} reason={} failed_requests={}", env->cfg->node, node, why, failed);
  peer_events_lost(node);
  peer_handoffs_lost(node);
  if (env->wake) env->wake();
}

std::optional<std::string> agent_state::home_of(const std::string& room) const {
  if (!view_) return std::nullopt;
  const auto slot = core::slot_of_room(room, env->cfg->slots);
  const auto& holder = view_->lease[slot];
  if (holder.empty()) return std::nullopt;
  if (holder == env->cfg->node) return holder;
  if (!peer_agent(holder)) return std::nullopt;
  return holder;
}

// ---- the actor -----------------------------------------------------------------

// The state goes in as a spawn argument, not a capture: CAF 0.17 binds a
// reference through a null pointer when an actor function gets no arguments
// (caf/detail/init_fun_factory.hpp, found by UBSan).
caf::actor spawn_agent(caf::actor_system& sys, std::shared_ptr<agent_env> env) {
  return sys.spawn([](caf::event_based_actor* self, std::shared_ptr<agent_env> env) -> caf::behavior {
    actors::handoff_acquire();
    auto st = std::make_shared<agent_state>(self, env);
    self->set_down_handler([st](caf::down_msg& dm) {
      actors::handoff_acquire();
      st->on_down(dm);
    });
    self->set_default_handler(caf::drop);
    // Wire messages count only from nodes that proved the secret.
    auto from_peer = [st]() { return st->peer_of_sender(); };
    return actors::handoff_acquiring(self, {
        [=](tick_atom) { st->tick(); },
        [=](view_atom, const view_ptr& v) { st->on_view(v); },
        [=](fwd_out_atom, const fwd_ptr& job) { st->forward_out(job); },
        [=](fwd_done_atom, const caf::actor& asker, std::uint64_t corr, const response_ptr& r) { st->forward_done(asker, corr, r); },
        [=](fwd_atom, std::uint64_t corr, wire_request& req) {
          if (from_peer()) st->forward_in(caf::actor_cast<caf::actor>(self->current_sender()), corr, req);
        },
        [=](fwd_rep_atom, std::uint64_t corr, wire_response& resp) {
          if (from_peer()) st->forward_reply(corr, resp);
        },
        [=](ship_atom) { st->ship(); },
        [=](outbox_read_atom, const outbox_page_ptr& page) { st->outbox_read(page); },
        [=](events_atom, const std::string& origin, wire_events& batch) {
          if (auto p = from_peer()) st->events_in(*p, origin, batch.items);
        },
        [=](applied_atom, const std::string& peer, const seqs_ptr& seqs) { st->applied(peer, seqs); },
        [=](events_ok_atom, const wire_seqs& seqs) {
          if (auto p = from_peer()) st->events_ok(*p, seqs);
        },
        [=](sub_local_atom, const sub_ptr& job) { st->subscribe_local(job); },
        [=](unsub_local_atom, const std::string& room) { st->unsubscribe_local(room); },
        [=](sub_atom, const std::string& room) {
          if (auto p = from_peer()) st->sub_in(*p, room);
        },
        [=](sub_ok_atom, const std::string& room) {
          if (auto p = from_peer()) st->sub_ok(*p, room);
        },
        [=](unsub_atom, const std::string& room) {
          if (auto p = from_peer()) st->unsub_in(*p, room);
        },
        [=](push_out_atom, const std::string& node, const std::string& room, std::uint64_t seq, const std::string& frame) {
          st->push_out(node, room, seq, frame);
        },
        [=](push_atom, const std::string& room, std::uint64_t seq, const std::string& frame) {
          if (from_peer()) st->push_in(room, seq, frame);
        },
        [=](lost_atom, const std::string& room) {
          if (auto p = from_peer()) st->lost_in(*p, room);
        },
        [=](replay_out_atom, const replay_ptr& job) { st->replay_out(job); },
        [=](replay_atom, std::uint64_t corr, const std::string& room, std::uint64_t after, std::uint64_t limit) {
          if (auto p = from_peer()) st->replay_in(*p, corr, room, after, limit);
        },
        [=](replay_read_atom, const std::string& peer, std::uint64_t corr, const page_ptr& page) { st->replay_done(peer, corr, page); },
        [=](replay_rep_atom, std::uint64_t corr, wire_page& page) {
          if (from_peer()) st->replay_reply(corr, page);
        },
        [=](lost_slots_atom, const wire_slots& slots) { st->rooms_gone(slots.slots); },
        [=](hbegin_atom, const handoff_ptr& h) { st->handoff_begin(h); },
        [=](hchunk_out_atom, std::uint64_t id, std::uint64_t seq, const records_ptr& records) { st->handoff_chunk_out(id, seq, records); },
        [=](hend_out_atom, std::uint64_t id, const wire_slots& committed) { st->handoff_end_out(id, committed); },
        [=](chunk_atom, std::uint64_t id, std::uint64_t seq, wire_records& records, const wire_slots& slots) {
          if (auto p = from_peer()) st->chunk_in(*p, caf::actor_cast<caf::actor>(self->current_sender()), id, seq, records.items, slots);
        },
        [=](imported_atom, const caf::actor& giver, std::uint64_t id, std::uint64_t seq, bool ok) { st->chunk_written(giver, id, seq, ok); },
        [=](chunk_ok_atom, std::uint64_t id, std::uint64_t seq, bool ok) {
          if (from_peer()) st->chunk_ok(id, seq, ok);
        },
        [=](hend_atom, std::uint64_t id, const wire_slots& committed) {
          if (auto p = from_peer()) st->hend_in(*p, id, committed);
        },
    });
  }, std::move(env));
}

// The published door: a node proves the cluster secret on a fresh nonce and
// gets the agent's handle; the door proves it in turn on the node's nonce.
caf::actor spawn_door(caf::actor_system& sys, std::shared_ptr<agent_env> env, caf::actor agent) {
  return sys.spawn([](caf::event_based_actor* self, std::shared_ptr<agent_env> env, caf::actor agent) -> caf::behavior {
    auto rng = std::make_shared<std::mt19937_64>(std::random_device{}());
    auto nonces = std::make_shared<std::deque<std::string>>();
    self->set_default_handler(caf::drop);
    return {
        [=](hello_atom, const std::string& their_nonce) {
          auto nonce = fmt::format("{:016x}{:016x}", (*rng)(), (*rng)());
          nonces->push_back(nonce);
          if (nonces->size() > 256) nonces->pop_front();
          return caf::make_message(nonce, env->cfg->node, proof(env->cfg->secret, "door|" + their_nonce + "|" + env->cfg->node));
        },
        [=](auth_atom, const std::string& node, const std::string& their_proof) -> caf::result<caf::actor> {
          for (auto it = nonces->begin(); it != nonces->end(); ++it) {
            if (their_proof != proof(env->cfg->secret, "node|" + *it + "|" + node)) continue;
            nonces->erase(it);
            if (auto& sender = self->current_sender()) env->trusted->add(sender->node(), node);
            spdlog::info("event=cluster.peer_trusted node={} peer={}", env->cfg->node, node);
            return agent;
          }
          spdlog::warn("event=cluster.peer_refused node={} claimed={} reason=\"wrong proof of the cluster secret\"",
                       env->cfg->node, node);
          return caf::make_error(caf::sec::request_receiver_down);
        },
    };
  }, std::move(env), std::move(agent));
}

// ---- what other threads call -----------------------------------------------------

void forward(const caf::actor& agent, std::shared_ptr<fwd_job> job) { actors::post(agent, fwd_out_atom::value, std::move(job)); }
void subscribe(const caf::actor& agent, std::shared_ptr<subscribe_job> job) { actors::post(agent, sub_local_atom::value, std::move(job)); }
void unsubscribe(const caf::actor& agent, std::string room) { actors::post(agent, unsub_local_atom::value, std::move(room)); }
void replay(const caf::actor& agent, std::shared_ptr<replay_job> job) { actors::post(agent, replay_out_atom::value, std::move(job)); }
void view_changed(const caf::actor& agent, std::shared_ptr<const cluster_view> v) { actors::post(agent, view_atom::value, std::move(v)); }
void ship_outbox(const caf::actor& agent) { actors::post(agent, ship_atom::value); }
void tick(const caf::actor& agent) { actors::post(agent, tick_atom::value); }
void slots_lost(const caf::actor& agent, std::vector<std::uint32_t> slots) {
  actors::post(agent, lost_slots_atom::value, wire_slots{std::move(slots)});
}
void handoff_begin(const caf::actor& agent, std::shared_ptr<handoff_out> h) { actors::post(agent, hbegin_atom::value, std::move(h)); }
void handoff_chunk(const caf::actor& agent, std::uint64_t id, std::uint64_t seq, std::vector<store::handoff_record> records) {
  actors::post(agent, hchunk_out_atom::value, id, seq, std::make_shared<std::vector<store::handoff_record>>(std::move(records)));
}
void handoff_end(const caf::actor& agent, std::uint64_t id, std::vector<std::uint32_t> committed) {
  actors::post(agent, hend_out_atom::value, id, wire_slots{std::move(committed)});
}

}  // namespace pw::cluster
