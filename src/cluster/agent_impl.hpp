// Internal to src/cluster: the agent's state. Links and forwarding are in
// agent.cpp, events in agent_events.cpp, handoffs in agent_handoff.cpp.
#pragma once

#include <deque>
#include <map>
#include <random>
#include <set>
#include <unordered_map>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>

#include "actors/notifier.hpp"
#include "cluster/agent.hpp"
#include "cluster/wire.hpp"

namespace pw::cluster {

using tick_atom = caf::atom_constant<caf::atom("c_tick")>;
using view_atom = caf::atom_constant<caf::atom("c_view")>;
using fwd_out_atom = caf::atom_constant<caf::atom("c_fwdout")>;
using fwd_done_atom = caf::atom_constant<caf::atom("c_fwddone")>;
using ship_atom = caf::atom_constant<caf::atom("c_ship")>;
using outbox_read_atom = caf::atom_constant<caf::atom("c_obread")>;
using applied_atom = caf::atom_constant<caf::atom("c_applied")>;
using sub_local_atom = caf::atom_constant<caf::atom("c_sub")>;
using unsub_local_atom = caf::atom_constant<caf::atom("c_unsub")>;
using push_out_atom = caf::atom_constant<caf::atom("c_pushout")>;
using replay_out_atom = caf::atom_constant<caf::atom("c_rplout")>;
using replay_read_atom = caf::atom_constant<caf::atom("c_rplread")>;
using lost_slots_atom = caf::atom_constant<caf::atom("c_lost")>;
using hbegin_atom = caf::atom_constant<caf::atom("c_hbegin")>;
using hchunk_out_atom = caf::atom_constant<caf::atom("c_hchunk")>;
using hend_out_atom = caf::atom_constant<caf::atom("c_hend")>;
using imported_atom = caf::atom_constant<caf::atom("c_imported")>;
using linked_atom = caf::atom_constant<caf::atom("c_linked")>;

using fwd_ptr = std::shared_ptr<fwd_job>;
using sub_ptr = std::shared_ptr<subscribe_job>;
using replay_ptr = std::shared_ptr<replay_job>;
using view_ptr = std::shared_ptr<const cluster_view>;
using response_ptr = std::shared_ptr<net::http_response>;
using outbox_page_ptr = std::shared_ptr<std::vector<std::pair<std::uint64_t, std::string>>>;
using page_ptr = std::shared_ptr<actors::replay_page>;
using handoff_ptr = std::shared_ptr<handoff_out>;
using records_ptr = std::shared_ptr<std::vector<store::handoff_record>>;
using seqs_ptr = std::shared_ptr<std::vector<std::uint64_t>>;

}  // namespace pw::cluster

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pw::cluster::fwd_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pw::cluster::sub_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pw::cluster::replay_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pw::cluster::view_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pw::cluster::response_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pw::cluster::outbox_page_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pw::cluster::page_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pw::cluster::handoff_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pw::cluster::records_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pw::cluster::seqs_ptr)

namespace pw::cluster {

class agent_state {
 public:
  agent_state(caf::event_based_actor* self, std::shared_ptr<agent_env> env);

  // agent.cpp: links and forwarding
  void on_view(view_ptr v);
  void tick();
  void on_down(const caf::down_msg& dm);
  std::optional<std::string> peer_of_sender() const;  // the sending node's name, if trusted
  void forward_out(const fwd_ptr& job);
  void forward_in(const caf::actor& asker, std::uint64_t corr, wire_request& req);
  void forward_done(const caf::actor& asker, std::uint64_t corr, const response_ptr& resp);
  void forward_reply(std::uint64_t corr, wire_response& resp);
  caf::actor peer_agent(const std::string& node) const;
  // Where a room's log lives now, if that node can be reached (or is this one).
  std::optional<std::string> home_of(const std::string& room) const;

  // agent_events.cpp
  void ship();
  void outbox_read(const outbox_page_ptr& page);
  void events_in(const std::string& peer, const std::string& origin, std::vector<wire_event>& batch);
  void applied(const std::string& peer, const seqs_ptr& seqs);
  void events_ok(const std::string& peer, const wire_seqs& seqs);
  void subscribe_local(const sub_ptr& job);
  void unsubscribe_local(const std::string& room);
  void sub_in(const std::string& peer, const std::string& room);
  void sub_ok(const std::string& peer, const std::string& room);
  void finish_sub(const sub_ptr& job, bool ok);
  void unsub_in(const std::string& peer, const std::string& room);
  void push_out(const std::string& node, const std::string& room, std::uint64_t seq, const std::string& frame);
  void push_in(const std::string& room, std::uint64_t seq, const std::string& frame);
  void lost_in(const std::string& peer, const std::string& room);
  void replay_out(const replay_ptr& job);
  void replay_in(const std::string& peer, std::uint64_t corr, const std::string& room, std::uint64_t after, std::uint64_t limit);
  void replay_done(const std::string& peer, std::uint64_t corr, const page_ptr& page);
  void replay_reply(std::uint64_t corr, wire_page& page);
  void rooms_gone(const std::vector<std::uint32_t>& slots);  // our rooms in these slots left this node
  void peer_events_lost(const std::string& peer);

  // agent_handoff.cpp
  void handoff_begin(const handoff_ptr& h);
  void handoff_chunk_out(std::uint64_t id, std::uint64_t seq, const records_ptr& records);
  void handoff_end_out(std::uint64_t id, const wire_slots& committed);
  // `giver` is the sending agent: acknowledgements go straight back to it, as
  // this node's own link to the giver may not be up yet (it joined just now).
  void chunk_in(const std::string& peer, const caf::actor& giver, std::uint64_t id, std::uint64_t seq,
                std::vector<wire_record>& records, const wire_slots& slots);
  void chunk_written(const caf::actor& giver, std::uint64_t id, std::uint64_t seq, bool ok);
  void chunk_ok(std::uint64_t id, std::uint64_t seq, bool ok);
  void hend_in(const std::string& peer, std::uint64_t id, const wire_slots& committed);
  void peer_handoffs_lost(const std::string& peer);

  caf::event_based_actor* self;
  std::shared_ptr<agent_env> env;

 private:
  struct peer_link {
    enum class state { down, connecting, up } st = state::down;
    caf::actor agent;
    std::int64_t next_attempt_ms = 0;
    std::int64_t backoff_ms = 100;
    std::uint64_t attempt = 0;
  };
  void connect(const std::string& node, const member_info& m);
  void link_down(const std::string& node, const char* why);

  struct pending_fwd {
    std::string node;
    net::responder respond;
    std::int64_t deadline_ms;
  };
  struct pending_replay {
    std::string node;
    actors::replay_callback done;
    std::int64_t deadline_ms;
  };
  struct shipment {
    std::vector<std::uint64_t> seqs;
    std::int64_t deadline_ms = 0;
  };

  view_ptr view_;
  std::map<std::string, peer_link> peers_;
  std::mt19937_64 rng_;
  std::uint64_t next_corr_ = 1;
  std::unordered_map<std::uint64_t, pending_fwd> forwards_;
  std::unordered_map<std::uint64_t, pending_replay> replays_;
  // Outbox shipping: a read in flight, shipments in flight by node.
  bool reading_outbox_ = false, ship_again_ = false;
  std::uint64_t ship_cursor_ = 0;  // entries at or below were read this round
  std::map<std::string, shipment> shipping_;
  std::set<std::uint64_t> in_flight_;  // outbox seqs sent, not acknowledged
  // Rooms subscribed at their node: refcount of local sinks, the node, and
  // the jobs waiting for its answer.
  struct room_sub {
    std::size_t refs = 0;
    std::string node;
    bool ready = false;
    std::vector<sub_ptr> waiting;
  };
  std::map<std::string, room_sub> subs_;
  std::map<sub_ptr, std::size_t> sub_jobs_;  // rooms still to be accepted
  std::int64_t next_stuck_ship_ms_ = 0;
  // The last outbox seq applied per (room, origin), known to the loader
  // thread only: a batch sent again is applied once even before the first
  // one's write is in.
  std::shared_ptr<std::map<std::string, std::uint64_t>> applied_cache_ = std::make_shared<std::map<std::string, std::uint64_t>>();
  // Rooms of ours other nodes listen to: room -> nodes (each a remote sink in the notifier).
  std::map<std::string, std::map<std::string, std::shared_ptr<actors::event_sink>>> listeners_;
  // Handoffs out (as giver) and in (as taker).
  struct giving {
    handoff_ptr h;
  };
  std::map<std::uint64_t, giving> giving_;
  std::map<std::uint64_t, std::string> taking_;  // id -> giver
  friend struct agent_access;
};

}  // namespace pw::cluster
