// The agent's part in handoffs: chunks of a slot's records go to the taking
// node, which writes each before acknowledging it; the end says which slots
// the giver moved in etcd. A lost peer ends its handoffs at once.
#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/handoff.hpp"
#include "cluster/agent_impl.hpp"

namespace pw::cluster {

void agent_state::handoff_begin(const handoff_ptr& h) { giving_[h->id] = giving{h}; }

void agent_state::handoff_chunk_out(std::uint64_t id, std::uint64_t seq, const records_ptr& records) {
  auto it = giving_.find(id);
  if (it == giving_.end()) return;
  auto to = peer_agent(it->second.h->to);
  if (!to) {
    auto h = it->second.h;
    giving_.erase(it);
    return h->ack(false, 0);
  }
  std::vector<wire_record> wire;
  wire.reserve(records->size());
  for (auto& r : *records) wire.push_back(wire_record{static_cast<std::uint8_t>(r.family), std::move(r.key), std::move(r.value)});
  self->send(to, chunk_atom::value, id, seq, wire_records{std::move(wire)}, wire_slots{it->second.h->slots});
}

void agent_state::chunk_ok(std::uint64_t id, std::uint64_t seq, bool ok) {
  auto it = giving_.find(id);
  if (it == giving_.end()) return;
  it->second.h->ack(ok, seq);
}

void agent_state::handoff_end_out(std::uint64_t id, const wire_slots& committed) {
  auto it = giving_.find(id);
  if (it == giving_.end()) return;
  if (auto to = peer_agent(it->second.h->to)) self->send(to, hend_atom::value, id, committed);
  giving_.erase(it);
}

void agent_state::chunk_in(const std::string& peer, const caf::actor& giver, std::uint64_t id, std::uint64_t seq,
                           std::vector<wire_record>& records, const wire_slots& slots) {
  std::lock_guard purge_lock(*env->purge_mu);
  if (!taking_.count(id)) {
    taking_[id] = peer;
    env->arriving->begin(id, peer, slots.slots);
    for (auto s : slots.slots) env->slots->set(s, slot_state::joining);
    spdlog::info("event=handoff.receiving node={} from={} handoff={} slots={}", env->cfg->node, peer, id, slots.slots.size());
  }
  std::vector<store::handoff_record> recs;
  recs.reserve(records.size());
  for (auto& r : records) {
    if (r.family >= store::cf_count) continue;
    recs.push_back(store::handoff_record{static_cast<store::cf>(r.family), std::move(r.key), std::move(r.value)});
  }
  store::handoff_scan what;
  store::summarize(recs, what);
  env->arriving->add(id, what);
  auto h = caf::actor_cast<caf::actor>(self);
  env->rt->writer().submit(store::import_records(std::move(recs)), [h, giver, id, seq](bool ok) {
    actors::post(h, imported_atom::value, giver, id, seq, ok);
  });
}

void agent_state::chunk_written(const caf::actor& giver, std::uint64_t id, std::uint64_t seq, bool ok) {
  if (giver) self->send(giver, chunk_ok_atom::value, id, seq, ok);
}

void agent_state::hend_in(const std::string& peer, std::uint64_t id, const wire_slots& committed) {
  std::unique_lock purge_lock(*env->purge_mu);
  taking_.erase(id);
  auto dropped = env->arriving->end(id, committed.slots, env->ctl ? env->ctl->reads_started() + 1 : 0);
  std::set<std::uint32_t> d(dropped.begin(), dropped.end());
  spdlog::info("event=handoff.received node={} from={} handoff={} committed={} dropped={}", env->cfg->node, peer, id,
               committed.slots.size(), dropped.size());
  std::vector<std::uint32_t> all;
  for (auto s : committed.slots) all.push_back(s);
  for (auto s : dropped) all.push_back(s);
  for (auto s : all) env->slots->set(s, slot_state::none);
  purge_lock.unlock();
  if (!dropped.empty() && env->purge) env->purge(dropped);
  if (env->ctl) env->ctl->poke();
}

void agent_state::peer_handoffs_lost(const std::string& peer) {
  for (auto it = giving_.begin(); it != giving_.end();) {
    if (it->second.h->to != peer) {
      ++it;
      continue;
    }
    auto h = it->second.h;
    it = giving_.erase(it);
    h->ack(false, 0);
  }
  bool any = false;
  for (auto it = taking_.begin(); it != taking_.end();) {
    if (it->second != peer) {
      ++it;
      continue;
    }
    it = taking_.erase(it);
    any = true;
  }
  if (any) {
    // Whether the giver committed before it was lost, the shard map says.
    env->arriving->abandon(peer, env->ctl ? env->ctl->reads_started() + 1 : 0);
    if (env->ctl) env->ctl->poke();
  }
}

}  // namespace pw::cluster
