#include "cluster/node.hpp"

#include <boost/json.hpp>
#include <caf/all.hpp>
#include <caf/io/middleman.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "actors/backends.hpp"
#include "actors/notifier.hpp"
#include "cluster/wire.hpp"
#include "core/clock.hpp"
#include "store/handoff.hpp"

namespace pw::cluster {

node::node(const core::config& cfg, store::database& db) : cfg_(cfg), db_(db), slots_(cfg.cluster.slots) {}

node::~node() { stop(false); }

actors::cluster_hooks node::hooks() {
  actors::cluster_hooks h;
  const auto& c = cfg_.cluster;
  h.configure = [c](caf::actor_system_config& sc) { configure_actor_system(sc, c.name, c.heartbeat_ms, c.peer_timeout_ms); };
  h.slots = c.slots;
  // A room's log is here while we serve its slot; otherwise its events go
  // to the outbox and on to the node that does.
  h.local_room = [this](std::string_view room) {
    return slots_.get(core::slot_of_room(room, cfg_.cluster.slots)) == slot_state::serving;
  };
  h.outboxed = [this] {
    if (agent_) ship_outbox(agent_);
  };
  return h;
}

core::result<void> node::start(actors::runtime& rt, std::uint16_t http_port,
                               std::function<void(net::http_request, net::responder)> serve_forwarded) {
  rt_ = &rt;
  const auto& c = cfg_.cluster;
  env_ = std::make_shared<agent_env>();
  env_->cfg = &c;
  env_->rt = &rt;
  env_->db = &db_;
  env_->slots = &slots_;
  env_->trusted = std::make_shared<trusted_nodes>();
  env_->arriving = std::make_shared<imports>();
  env_->links = std::make_shared<link_status>();
  env_->serve_forwarded = std::move(serve_forwarded);
  env_->wake = [this] { wake(); };
  env_->purge = [this](std::vector<std::uint32_t> s) { post_job([this, s] { purge(s, false); }); };
  agent_ = spawn_agent(rt.system(), env_);
  door_ = spawn_door(rt.system(), env_, agent_);
  auto port = rt.system().middleman().publish(door_, c.peer_port, c.peer_host.c_str(), true);
  if (!port)
    return core::make_error(core::errc::internal, fmt::format("cannot listen for peers on {}:{}: {}", c.peer_host, c.peer_port,
                                                              rt.system().render(port.error())));
  peer_port_ = *port;
  spdlog::info("event=cluster.listening node={} peer={}:{}", c.node, c.peer_host, peer_port_);

  control::hooks hk;
  hk.view_changed = [this](std::shared_ptr<const cluster_view> v) {
    if (agent_) view_changed(agent_, v);
    settle_imports(*v);
    wake();
  };
  hk.acquired = [this](std::uint32_t slot) {
    auto ws = env_->arriving->settle(slot, cfg_.cluster.slots);
    if (!ws.empty()) actors::restore_workspaces(rt_->pipelines(), db_, ws);
    rt_->resume_slots({slot});
  };
  hk.lost = [this](const std::vector<std::uint32_t>& s) {
    if (agent_) slots_lost(agent_, s);
    wake();
  };
  hk.hand_off = [this](const std::string& to, const std::vector<std::uint32_t>& s) { return start_handoff(to, s); };
  hk.may_acquire = [this](std::uint32_t slot) { return !env_->arriving->arriving(slot); };
  hk.settled = [this] {
    rt_->mark_ready();
    spdlog::info("event=cluster.ready node={}", cfg_.cluster.node);
  };
  const std::string http = fmt::format("http://{}:{}", cfg_.server.listen.host, http_port);
  ctl_ = std::make_unique<cluster::control>(c, http, peer_port_, slots_, cfg_.server.data_dir + "/cluster-lease", std::move(hk));
  env_->ctl = ctl_.get();
  worker_ = std::thread([this] { worker(); });
  ticker_ = std::thread([this] { ticker(); });
  ctl_->start();
  return {};
}

void node::stop(bool release) {
  if (stopping_.exchange(true)) return;
  if (ctl_) ctl_->stop(release);
  jobs_cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
  if (worker_.joinable()) worker_.join();
  {
    std::lock_guard lock(park_mu_);
    for (auto& p : parked_) p.then(net::slot_route{net::slot_route::kind::unavailable, {}, 1, "the node is stopping"});
    parked_.clear();
  }
  if (rt_) {
    if (door_) rt_->system().middleman().unpublish(door_, peer_port_);
    if (door_) caf::anon_send_exit(door_, caf::exit_reason::user_shutdown);
    if (agent_) caf::anon_send_exit(agent_, caf::exit_reason::user_shutdown);
  }
  door_ = nullptr;
  agent_ = nullptr;
}

// ---- routing -----------------------------------------------------------------------

std::uint32_t node::workspace_slot(std::string_view workspace) const { return core::slot_of_workspace(workspace, cfg_.cluster.slots); }
std::optional<std::uint32_t> node::item_slot(std::string_view id) const { return core::slot_of_item(id, cfg_.cluster.slots); }
bool node::serves(std::uint32_t slot) const {
  const auto st = slots_.get(slot);
  return st == slot_state::serving || st == slot_state::leaving;
}

// nullopt: wait (the slot is being claimed, acquired or handed off).
std::optional<net::slot_route> node::decide(std::uint32_t slot) const {
  using k = net::slot_route::kind;
  const auto ttl = static_cast<int>(cfg_.cluster.lease_ttl_s);
  const auto st = slots_.get(slot);
  if (st == slot_state::serving) {
    if (ctl_->lease_valid()) return net::slot_route{k::local, {}, 0, {}};
    return net::slot_route{k::unavailable, {}, 1, "this node cannot reach etcd to renew its lease"};
  }
  if (st == slot_state::leaving || st == slot_state::joining) return std::nullopt;
  auto v = ctl_->view();
  if (!v) return net::slot_route{k::unavailable, {}, 1, "this node has not reached etcd yet"};
  const auto& me = cfg_.cluster.node;
  const auto& holder = v->lease[slot];
  if (!holder.empty() && holder != me) {
    if (env_->links->up(holder)) return net::slot_route{k::remote, holder, 0, {}};
    if (v->alive(holder) && !env_->links->lost(holder)) return std::nullopt;  // connecting
    return net::slot_route{k::unavailable, {}, ttl, fmt::format("node {} that holds it is not reachable", holder)};
  }
  if (!holder.empty()) return std::nullopt;  // ours, about to serve
  const auto& shard = v->shard[slot];
  if (shard.empty()) {
    const auto target = core::rendezvous_owner(slot, v->targets());
    if (target.empty()) return net::slot_route{k::unavailable, {}, 1, "no node can take it"};
    if (target == me || v->alive(target)) return std::nullopt;  // being claimed
    return net::slot_route{k::unavailable, {}, 1, "no node has claimed it yet"};
  }
  if (shard == me) {
    if (!ctl_->lease_valid()) return net::slot_route{k::unavailable, {}, 1, "this node cannot reach etcd to take its lease"};
    return std::nullopt;
  }
  if (v->alive(shard) && !env_->links->lost(shard)) return std::nullopt;  // it is taking the slot's lease
  return net::slot_route{k::unavailable, {}, ttl,
                         fmt::format("node {} that keeps it is lost; it answers again when that node returns", shard)};
}

void node::route(std::uint32_t slot, std::function<void(net::slot_route)> then) {
  if (auto d = decide(slot)) return then(std::move(*d));
  if (ctl_) ctl_->poke();
  std::lock_guard lock(park_mu_);
  parked_.push_back(parked{slot, steady_ms() + cfg_.cluster.handoff_wait_ms, std::move(then)});
}

void node::wake() {
  std::vector<parked> ready;
  {
    std::lock_guard lock(park_mu_);
    const auto now = steady_ms();
    for (auto it = parked_.begin(); it != parked_.end();) {
      auto d = decide(it->slot);
      if (!d && now < it->deadline_ms) {
        ++it;
        continue;
      }
      if (!d) d = net::slot_route{net::slot_route::kind::unavailable, {}, 1,
                                  "its node is changing (a handoff or a claim); retry shortly"};
      auto p = std::move(*it);
      it = parked_.erase(it);
      p.then = [then = std::move(p.then), d = *d](net::slot_route) { then(d); };
      ready.push_back(std::move(p));
    }
  }
  for (auto& p : ready) p.then({});
}

void node::ticker() {
  while (!stopping_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (agent_) tick(agent_);
    wake();
  }
}

void node::forward(const std::string& to, const net::http_request& req, net::responder respond) {
  cluster::forward(agent_, std::make_shared<fwd_job>(fwd_job{to, req, std::move(respond)}));
}

std::vector<std::string> node::nodes_with_slots(std::vector<std::string>* unreachable) const {
  std::vector<std::string> out;
  auto v = ctl_->view();
  if (!v) return out;
  std::set<std::string> nodes(v->shard.begin(), v->shard.end());
  nodes.erase("");
  for (const auto& n : nodes) {
    out.push_back(n);
    if (unreachable && n != cfg_.cluster.node && !env_->links->up(n)) unreachable->push_back(n);
  }
  return out;
}

// ---- events ------------------------------------------------------------------------

void node::join(std::shared_ptr<actors::event_sink> sink) {
  rt_->rooms().join_quiet(sink);
  auto job = std::make_shared<subscribe_job>();
  job->rooms = sink->rooms();
  std::weak_ptr<actors::event_sink> weak = sink;
  job->done = [weak](bool ok) {
    auto s = weak.lock();
    if (!s) return;
    if (ok) s->joined();
    else s->interrupted(s->rooms().front());
  };
  subscribe(agent_, job);
}

void node::leave(std::shared_ptr<actors::event_sink> sink) {
  rt_->rooms().leave(sink);
  for (const auto& room : sink->rooms()) unsubscribe(agent_, room);
}

void node::read_events(std::string room, std::uint64_t after, std::size_t limit, actors::replay_callback done) {
  replay(agent_, std::make_shared<replay_job>(replay_job{std::move(room), after, limit, std::move(done)}));
}

// ---- operators -----------------------------------------------------------------------

std::string node::status_json() const {
  namespace json = boost::json;
  auto v = ctl_->view();
  json::object out;
  out["node"] = cfg_.cluster.node;
  out["cluster"] = cfg_.cluster.name;
  out["slots"] = cfg_.cluster.slots;
  out["revision"] = v ? v->revision : 0;
  out["lease_valid"] = ctl_->lease_valid();
  json::array members;
  std::map<std::string, std::pair<int, int>> counts;  // node -> (mapped, serving)
  if (v) {
    for (std::uint32_t s = 0; s < v->shard.size(); ++s) {
      if (!v->shard[s].empty()) ++counts[v->shard[s]].first;
      if (!v->lease[s].empty()) ++counts[v->lease[s]].second;
    }
    std::set<std::string> names;
    for (const auto& [n, m] : v->members) names.insert(n);
    for (const auto& [n, c] : counts) names.insert(n);
    for (const auto& n : names) {
      json::object m;
      m["node"] = n;
      auto it = v->members.find(n);
      m["alive"] = it != v->members.end();
      m["http"] = it != v->members.end() ? it->second.http : "";
      m["peer"] = it != v->members.end() ? fmt::format("{}:{}", it->second.peer_host, it->second.peer_port) : "";
      m["linked"] = n == cfg_.cluster.node || env_->links->up(n);
      m["draining"] = v->drain.count(n) > 0;
      m["slots"] = counts[n].first;
      m["serving"] = counts[n].second;
      members.push_back(std::move(m));
    }
  }
  out["members"] = std::move(members);
  json::array handoffs;
  if (v)
    for (const auto& [s, h] : v->handoffs) {
      json::object o;
      o["slot"] = s;
      o["from"] = h.from;
      o["to"] = h.to;
      o["since"] = core::iso8601(h.since_ms);
      handoffs.push_back(std::move(o));
    }
  out["handoffs"] = std::move(handoffs);
  json::array unmapped;
  if (v)
    for (std::uint32_t s = 0; s < v->shard.size(); ++s)
      if (v->shard[s].empty()) unmapped.push_back(s);
  out["unclaimed_slots"] = unmapped.size();
  // By slot: the node whose store keeps it, and the node serving it now ("" none).
  json::array shard, lease;
  if (v)
    for (std::uint32_t s = 0; s < v->shard.size(); ++s) {
      shard.push_back(json::string(v->shard[s]));
      lease.push_back(json::string(v->lease[s]));
    }
  out["shard"] = std::move(shard);
  out["lease"] = std::move(lease);
  return json::serialize(out);
}

core::result<void> node::drain(const std::string& n, bool d) {
  if (!core::valid_node_name(n)) return core::make_error(core::errc::validation_failed, "'node' is not a node name", "{\"field\":\"node\"}");
  auto v = ctl_->view();
  if (d && v && !v->alive(n) && std::none_of(v->shard.begin(), v->shard.end(), [&](const std::string& s) { return s == n; }))
    return core::make_error(core::errc::not_found, fmt::format("no node '{}' in the cluster", n));
  return ctl_->set_drain(n, d);
}

}  // namespace pw::cluster
