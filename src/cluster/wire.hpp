// What nodes say to each other over CAF's middleman: the atoms and the
// message types. Every type that crosses a node is inspectable and
// registered by name on every node (register_types): CAF 0.17 would
// otherwise send an empty message without a compile-time error.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

#include "actors/handoff.hpp"

namespace pw::cluster {

// The door (published on cluster.listen) answers only these two.
using hello_atom = caf::atom_constant<caf::atom("pw_hello")>;  // (hello, my nonce) -> (peer nonce, peer node, proof)
using auth_atom = caf::atom_constant<caf::atom("pw_auth")>;    // (auth, my node, proof) -> (peer agent)
// Agent to agent, only from authenticated nodes.
using fwd_atom = caf::atom_constant<caf::atom("pw_fwd")>;         // (fwd, corr, request): run it here
using fwd_rep_atom = caf::atom_constant<caf::atom("pw_fwdrep")>;  // (fwd_rep, corr, response)
using events_atom = caf::atom_constant<caf::atom("pw_events")>;   // (events, origin, batch): outbox entries for rooms here
using events_ok_atom = caf::atom_constant<caf::atom("pw_evok")>;  // (events_ok, last outbox seq applied or skipped)
using events_no_atom = caf::atom_constant<caf::atom("pw_evno")>;  // (events_no, first outbox seq refused): not this node's room now
using sub_atom = caf::atom_constant<caf::atom("pw_sub")>;         // (sub, room): send me the room's events
using sub_ok_atom = caf::atom_constant<caf::atom("pw_subok")>;    // (sub_ok, room): its events will come
using unsub_atom = caf::atom_constant<caf::atom("pw_unsub")>;     // (unsub, room)
using push_atom = caf::atom_constant<caf::atom("pw_push")>;       // (push, room, seq, frame): a committed event
using lost_atom = caf::atom_constant<caf::atom("pw_lost")>;       // (lost, room): the room's log left this node
using replay_atom = caf::atom_constant<caf::atom("pw_replay")>;   // (replay, corr, room, after, limit) -> (replay_rep, corr, page)
using replay_rep_atom = caf::atom_constant<caf::atom("pw_rplrep")>;
using chunk_atom = caf::atom_constant<caf::atom("pw_chunk")>;     // (chunk, handoff, seq, records) -> (chunk_ok, handoff, seq)
using chunk_ok_atom = caf::atom_constant<caf::atom("pw_chunkok")>;
using hend_atom = caf::atom_constant<caf::atom("pw_hend")>;       // (hend, handoff, slots, committed): the handoff is over

// Every inspect() below ends with a hand-off mark (actors/handoff.hpp): on
// the receiving node it runs on libcaf_io's thread right after the value is
// read off the wire, and the agent marks the acquire when the message
// arrives, so TSan sees the edge CAF's queues hide. A no-op outside TSan.
struct handoff_on_exit {
  handoff_on_exit() = default;
  handoff_on_exit(const handoff_on_exit&) = delete;
  handoff_on_exit& operator=(const handoff_on_exit&) = delete;
  ~handoff_on_exit() { actors::handoff_release(); }
};

struct wire_request {
  std::string method, path, authorization, content_type, idempotency_key, body, request_id;
  std::vector<std::string> query;  // name, value, name, value, ...
  std::uint32_t slot = 0;
  bool has_slot = false;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wire_request& x) {
  handoff_on_exit mark;
  return f(caf::meta::type_name("pw_request"), x.method, x.path, x.authorization, x.content_type, x.idempotency_key,
           x.body, x.request_id, x.query, x.slot, x.has_slot);
}

struct wire_response {
  std::int32_t status = 0;
  std::string body, content_type;
  std::vector<std::string> headers;  // name, value, ...
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wire_response& x) {
  handoff_on_exit mark;
  return f(caf::meta::type_name("pw_response"), x.status, x.body, x.content_type, x.headers);
}

struct wire_event {
  std::uint64_t outbox_seq = 0;
  std::string room;
  std::string tail;  // the frame's members after seq and at
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wire_event& x) {
  handoff_on_exit mark;
  return f(caf::meta::type_name("pw_event"), x.outbox_seq, x.room, x.tail);
}

struct wire_page {
  std::vector<std::uint64_t> seqs;
  std::vector<std::string> frames;
  std::uint64_t first_retained = 0, last_seq = 0;
  bool ok = true;  // false: the room's log is not on this node (now)
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wire_page& x) {
  handoff_on_exit mark;
  return f(caf::meta::type_name("pw_page"), x.seqs, x.frames, x.first_retained, x.last_seq, x.ok);
}

struct wire_record {
  std::uint8_t family = 0;
  std::string key, value;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wire_record& x) {
  handoff_on_exit mark;
  return f(caf::meta::type_name("pw_record"), x.family, x.key, x.value);
}

struct wire_slots {
  std::vector<std::uint32_t> slots;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wire_slots& x) {
  handoff_on_exit mark;
  return f(caf::meta::type_name("pw_slots"), x.slots);
}

struct wire_seqs {
  std::vector<std::uint64_t> seqs;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wire_seqs& x) {
  handoff_on_exit mark;
  return f(caf::meta::type_name("pw_seqs"), x.seqs);
}

// A batch of events or of a handoff's records travels as one value, so that
// its mark comes after the whole batch is read.
struct wire_events {
  std::vector<wire_event> items;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wire_events& x) {
  handoff_on_exit mark;
  return f(caf::meta::type_name("pw_event_batch"), x.items);
}

struct wire_records {
  std::vector<wire_record> items;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wire_records& x) {
  handoff_on_exit mark;
  return f(caf::meta::type_name("pw_record_batch"), x.items);
}

// Loads the middleman with the cluster's settings (heartbeat, connection
// timeout, application id) and registers every type above.
void configure_actor_system(caf::actor_system_config& cfg, const std::string& cluster_name, std::int64_t heartbeat_ms,
                            std::int64_t peer_timeout_ms);

// HMAC-SHA256 of `message` under the cluster secret, hex.
std::string proof(const std::string& secret, const std::string& message);

}  // namespace pw::cluster
