#include "cluster/control.hpp"

#include <fstream>

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "core/clock.hpp"

namespace pw::cluster {

namespace json = boost::json;

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

namespace {

std::string suffix(const std::string& key, const std::string& prefix) { return key.substr(prefix.size()); }

std::optional<std::uint32_t> slot_number(const std::string& s, std::uint32_t slots) {
  if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  auto v = static_cast<std::uint32_t>(std::stoul(s));
  if (v >= slots) return std::nullopt;
  return v;
}

}  // namespace

control::control(const core::cluster_config& cfg, std::string http_address, std::uint16_t peer_port, slot_table& slots,
                 std::string lease_file, hooks h)
    : cfg_(cfg),
      keys_{"/pipewright/" + cfg.name + "/"},
      http_(std::move(http_address)),
      lease_file_(std::move(lease_file)),
      peer_port_(peer_port),
      slots_(slots),
      hooks_(std::move(h)),
      etcd_(cfg.etcd),
      watch_etcd_(cfg.etcd),
      ops_etcd_(cfg.etcd),
      acquired_rev_(cfg.slots, 0) {}

control::~control() { stop(false); }

void control::start() {
  // A lease this node held before a crash: its slots' leases would block us
  // until the TTL ran out. The store's lock proves that process is gone.
  std::ifstream in(lease_file_);
  std::int64_t old = 0;
  if (in >> old && old != 0) {
    if (auto r = etcd_.revoke(old); r) spdlog::info("event=cluster.old_lease_revoked node={} lease={:x}", cfg_.node, old);
  }
  thread_ = std::thread([this] { run(); });
  watcher_ = std::thread([this] { watch_loop(); });
}

void control::stop(bool release) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  watch_etcd_.stop_watch();
  if (thread_.joinable()) thread_.join();
  if (watcher_.joinable()) watcher_.join();
  if (release && lease_.load() != 0) {
    std::vector<std::uint32_t> had;
    for (std::uint32_t s = 0; s < slots_.size(); ++s)
      if (slots_.get(s) == slot_state::serving) had.push_back(s);
    for (auto s : had) slots_.set(s, slot_state::none);
    if (auto r = etcd_.revoke(lease_.load()); r) {
      // The revision of the revoke is not returned; the next write's is higher.
      for (auto s : had) spdlog::info("event=shard.released slot={} node={} reason=shutdown", s, cfg_.node);
      std::remove(lease_file_.c_str());
    }
  }
}

std::shared_ptr<const cluster_view> control::view() const {
  std::lock_guard lock(mu_);
  return view_;
}

bool control::lease_valid() const { return lease_.load() != 0 && steady_ms() < deadline_ms_.load(); }
std::int64_t control::lease_id() const { return lease_.load(); }

void control::poke() {
  {
    std::lock_guard lock(mu_);
    poked_ = true;
  }
  cv_.notify_all();
}

void control::watch_loop() {
  std::int64_t from = 0;
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      from = view_ ? view_->revision + 1 : 0;
    }
    if (from == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    auto r = watch_etcd_.watch(keys_.root, from, [this](std::int64_t, const std::vector<etcd_event>&) {
      {
        std::lock_guard lock(mu_);
        dirty_ = true;
      }
      cv_.notify_all();
    });
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      dirty_ = true;  // something may have changed while the stream was down
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
}

void control::run() {
  while (true) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(100), [&] { return stopping_ || dirty_ || poked_; });
      if (stopping_) return;
      poked_ = false;
    }
    // Past the deadline the lease may be gone in etcd: stop serving first.
    if (lease_.load() != 0 && steady_ms() >= deadline_ms_.load()) drop_all("lease_deadline");
    if (!ensure_lease()) continue;
    if (steady_ms() >= next_keepalive_ms_) keepalive();
    bool dirty;
    {
      std::lock_guard lock(mu_);
      dirty = dirty_;
      dirty_ = false;
    }
    if (dirty && !refresh()) {
      std::lock_guard lock(mu_);
      dirty_ = true;
      continue;
    }
    reconcile();
  }
}

// Grants a lease and registers the node under it; true once registered.
bool control::ensure_lease() {
  if (lease_.load() != 0) return true;
  const auto sent = steady_ms();
  auto id = etcd_.grant(cfg_.lease_ttl_s);
  if (!id) {
    spdlog::warn("event=cluster.etcd_unreachable node={} error=\"{}\"", cfg_.node, id.err().message);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return false;
  }
  json::object m{{"node", cfg_.node}, {"peer_host", cfg_.advertise_host}, {"peer_port", peer_port_}, {"http", http_}};
  auto rev = etcd_.put(keys_.member(cfg_.node), json::serialize(m), *id);
  if (!rev) {
    spdlog::warn("event=cluster.register_failed node={} error=\"{}\"", cfg_.node, rev.err().message);
    return false;
  }
  std::ofstream(lease_file_, std::ios::trunc) << *id;
  lease_ = *id;
  deadline_ms_ = sent + cfg_.lease_ttl_s * 1000 - std::max<std::int64_t>(200, cfg_.lease_ttl_s * 100);
  next_keepalive_ms_ = sent + cfg_.lease_ttl_s * 1000 / 3;
  spdlog::info("event=cluster.registered node={} lease={:x} ttl_s={} revision={} peer={}:{}", cfg_.node, *id,
               cfg_.lease_ttl_s, *rev, cfg_.advertise_host, peer_port_);
  std::lock_guard lock(mu_);
  dirty_ = true;
  return true;
}

void control::keepalive() {
  const auto sent = steady_ms();
  auto ttl = etcd_.keepalive(lease_.load());
  if (!ttl) {
    // etcd is away: keep serving until the deadline, try again soon.
    next_keepalive_ms_ = sent + 300;
    spdlog::warn("event=cluster.keepalive_failed node={} error=\"{}\" serving_for_ms={}", cfg_.node, ttl.err().message,
                 std::max<std::int64_t>(0, deadline_ms_.load() - sent));
    return;
  }
  if (*ttl <= 0) {
    spdlog::warn("event=cluster.lease_expired node={} lease={:x}", cfg_.node, lease_.load());
    drop_all("lease_expired");
    lease_ = 0;
    return;
  }
  // etcd counts the TTL from when it received the keepalive, which is
  // after we sent it: our deadline ends first.
  deadline_ms_ = sent + *ttl * 1000 - std::max<std::int64_t>(200, cfg_.lease_ttl_s * 100);
  next_keepalive_ms_ = sent + cfg_.lease_ttl_s * 1000 / 3;
}

void control::drop_all(const char* reason) {
  std::vector<std::uint32_t> lost;
  for (std::uint32_t s = 0; s < slots_.size(); ++s) {
    auto st = slots_.get(s);
    if (st == slot_state::serving || st == slot_state::leaving) {
      slots_.set(s, slot_state::none);
      lost.push_back(s);
      spdlog::warn("event=shard.lease_lost slot={} node={} reason={}", s, cfg_.node, reason);
    }
  }
  if (!lost.empty() && hooks_.lost) hooks_.lost(lost);
  if (std::string_view(reason) == "lease_deadline") deadline_ms_ = 0;
}

bool control::refresh() {
  const auto seq = ++reads_;
  auto r = etcd_.range(keys_.root);
  if (!r) {
    spdlog::warn("event=cluster.view_failed node={} error=\"{}\"", cfg_.node, r.err().message);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    return false;
  }
  auto v = std::make_shared<cluster_view>();
  v->revision = r->revision;
  v->read_seq = seq;
  v->shard.assign(cfg_.slots, {});
  v->lease.assign(cfg_.slots, {});
  const std::string members = keys_.root + "members/", shards = keys_.root + "shards/", leases = keys_.root + "leases/",
                    drains = keys_.root + "drain/", handoffs = keys_.root + "handoffs/";
  for (const auto& kv : r->kvs) {
    if (kv.key.rfind(members, 0) == 0) {
      boost::system::error_code ec;
      auto j = json::parse(kv.value, ec);
      if (ec || !j.is_object()) continue;
      const auto& o = j.as_object();
      member_info m;
      m.node = suffix(kv.key, members);
      if (auto* h = o.if_contains("peer_host"); h && h->is_string()) m.peer_host = std::string(h->as_string());
      if (auto* p = o.if_contains("peer_port"); p && p->is_int64()) m.peer_port = static_cast<std::uint16_t>(p->as_int64());
      if (auto* h = o.if_contains("http"); h && h->is_string()) m.http = std::string(h->as_string());
      v->members.emplace(m.node, std::move(m));
    } else if (kv.key.rfind(shards, 0) == 0) {
      if (auto s = slot_number(suffix(kv.key, shards), cfg_.slots)) v->shard[*s] = kv.value;
    } else if (kv.key.rfind(leases, 0) == 0) {
      if (auto s = slot_number(suffix(kv.key, leases), cfg_.slots)) v->lease[*s] = kv.value;
    } else if (kv.key.rfind(drains, 0) == 0) {
      v->drain.insert(suffix(kv.key, drains));
    } else if (kv.key.rfind(handoffs, 0) == 0) {
      auto s = slot_number(suffix(kv.key, handoffs), cfg_.slots);
      boost::system::error_code ec;
      auto j = json::parse(kv.value, ec);
      if (!s || ec || !j.is_object()) continue;
      handoff_info h;
      if (auto* f = j.as_object().if_contains("from"); f && f->is_string()) h.from = std::string(f->as_string());
      if (auto* t = j.as_object().if_contains("to"); t && t->is_string()) h.to = std::string(t->as_string());
      if (auto* t = j.as_object().if_contains("since_ms"); t && t->is_int64()) h.since_ms = t->as_int64();
      v->handoffs.emplace(*s, std::move(h));
    }
  }
  {
    std::lock_guard lock(mu_);
    view_ = v;
  }
  if (hooks_.view_changed) hooks_.view_changed(v);
  return true;
}

void control::reconcile() {
  auto v = view();
  if (!v || !lease_valid()) return;
  const auto& me = cfg_.node;
  if (!v->alive(me)) {
    // Our membership key is gone while the lease lives (deleted by hand):
    // register again.
    json::object m{{"node", me}, {"peer_host", cfg_.advertise_host}, {"peer_port", peer_port_}, {"http", http_}};
    (void)etcd_.put(keys_.member(me), json::serialize(m), lease_.load());
    std::lock_guard lock(mu_);
    dirty_ = true;
    return;
  }
  bool changed = false;
  // Slots we serve whose lease etcd no longer shows as ours.
  std::vector<std::uint32_t> lost;
  for (std::uint32_t s = 0; s < cfg_.slots; ++s) {
    const auto st = slots_.get(s);
    if ((st == slot_state::serving) && v->lease[s] != me && v->revision > acquired_rev_[s]) {
      slots_.set(s, slot_state::none);
      lost.push_back(s);
      spdlog::warn("event=shard.lease_lost slot={} node={} reason=\"etcd no longer shows our lease\" revision={}", s, me,
                   v->revision);
    }
  }
  if (!lost.empty() && hooks_.lost) hooks_.lost(lost);
  const auto targets = v->targets();
  for (std::uint32_t s = 0; s < cfg_.slots; ++s) {
    if (v->shard[s].empty() && core::rendezvous_owner(s, targets) == me) {
      // A slot nobody has held yet that hashes here: claim it.
      auto r = etcd_.txn({etcd_compare::absent(keys_.shard(s))}, {etcd_op::put(keys_.shard(s), me)});
      if (r && r->succeeded) spdlog::info("event=shard.claimed slot={} node={} revision={}", s, me, r->revision);
      changed = true;
      continue;
    }
    if (v->shard[s] != me || slots_.get(s) != slot_state::none) continue;
    // Free, or still ours under our current lease (we stopped serving at our
    // deadline while etcd was away, and etcd kept the lease): take it (again).
    if (!v->lease[s].empty() && v->lease[s] != me) continue;
    if (hooks_.may_acquire && !hooks_.may_acquire(s)) continue;
    auto held = v->lease[s].empty() ? etcd_compare::absent(keys_.lease(s)) : etcd_compare::has_lease(keys_.lease(s), lease_.load());
    auto r = etcd_.txn({etcd_compare::equals(keys_.shard(s), me), held}, {etcd_op::put(keys_.lease(s), me, lease_.load())});
    changed = true;
    if (!r || !r->succeeded) continue;
    acquired_rev_[s] = r->revision;
    spdlog::info("event=shard.acquired slot={} node={} revision={}", s, me, r->revision);
    if (hooks_.acquired) hooks_.acquired(s);
    slots_.set(s, slot_state::serving);
  }
  if (changed) {
    std::lock_guard lock(mu_);
    dirty_ = true;
    return;
  }
  if (!settled_) {
    settled_ = true;
    if (hooks_.settled) hooks_.settled();
  }
  // Slots that hash to another live node move there, one target at a time.
  std::map<std::string, std::vector<std::uint32_t>> moves;
  for (std::uint32_t s = 0; s < cfg_.slots; ++s) {
    if (slots_.get(s) != slot_state::serving || v->lease[s] != me || v->handoffs.count(s)) continue;
    auto t = core::rendezvous_owner(s, targets);
    if (!t.empty() && t != me) moves[t].push_back(s);
  }
  if (!moves.empty() && hooks_.hand_off) hooks_.hand_off(moves.begin()->first, moves.begin()->second);
}

core::result<void> control::begin_handoff(std::uint32_t slot, const std::string& to) {
  json::object h{{"from", cfg_.node}, {"to", to}, {"since_ms", core::now_ms()}};
  auto r = ops_etcd_.put(keys_.handoff(slot), json::serialize(h), lease_.load());
  if (!r) return std::move(r).err();
  return {};
}

core::result<std::int64_t> control::commit_handoff(std::uint32_t slot, const std::string& to) {
  if (!lease_valid()) return core::make_error(core::errc::unavailable, "our etcd lease is not certain");
  auto r = ops_etcd_.txn({etcd_compare::equals(keys_.shard(slot), cfg_.node), etcd_compare::equals(keys_.lease(slot), cfg_.node),
                          etcd_compare::has_lease(keys_.lease(slot), lease_.load())},
                         {etcd_op::put(keys_.shard(slot), to), etcd_op::del(keys_.lease(slot)), etcd_op::del(keys_.handoff(slot))});
  if (!r) return std::move(r).err();
  if (!r->succeeded) return core::make_error(core::errc::conflict, "the slot's lease or map entry is no longer ours");
  slots_.set(slot, slot_state::none);
  spdlog::info("event=shard.released slot={} node={} revision={} reason=handoff to={}", slot, cfg_.node, r->revision, to);
  poke();
  return r->revision;
}

void control::end_handoff(std::uint32_t slot) {
  (void)ops_etcd_.erase(keys_.handoff(slot));
  poke();
}

core::result<void> control::set_drain(const std::string& node, bool drain) {
  auto r = drain ? ops_etcd_.put(keys_.drain(node), "1") : ops_etcd_.erase(keys_.drain(node));
  if (!r) return std::move(r).err();
  spdlog::info("event=cluster.drain node={} drain={} revision={}", node, drain, *r);
  return {};
}

}  // namespace pw::cluster
