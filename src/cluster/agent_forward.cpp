// Requests forwarded between nodes (DESIGN §8): a request for a slot another
// node holds goes to that node's agent as a wire_request, runs through its
// router and comes back as a wire_response to the asking agent.
#include <caf/all.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "actors/handoff.hpp"
#include "cluster/agent_impl.hpp"

namespace pw::cluster {

namespace {

wire_request to_wire(const net::http_request& r) {
  wire_request w{r.method, r.path, r.authorization, r.content_type, r.idempotency_key, r.body, r.request_id, {}, 0, false};
  for (const auto& [k, v] : r.query) {
    w.query.push_back(k);
    w.query.push_back(v);
  }
  return w;
}

net::http_request from_wire(wire_request& w) {
  net::http_request r;
  r.method = std::move(w.method);
  r.path = std::move(w.path);
  r.authorization = std::move(w.authorization);
  r.content_type = std::move(w.content_type);
  r.idempotency_key = std::move(w.idempotency_key);
  r.body = std::move(w.body);
  r.request_id = std::move(w.request_id);
  for (std::size_t i = 0; i + 1 < w.query.size(); i += 2) r.query[w.query[i]] = w.query[i + 1];
  return r;
}

}  // namespace

void agent_state::forward_out(const fwd_ptr& job) {
  auto peer = peer_agent(job->node);
  if (!peer) {
    job->respond(net::error_response(core::errc::unavailable, fmt::format("node {} cannot be reached now", job->node)));
    return;
  }
  const auto corr = next_corr_++;
  forwards_.emplace(corr, pending_fwd{job->node, std::move(job->respond), steady_ms() + env->cfg->forward_timeout_ms});
  self->send(peer, fwd_atom::value, corr, to_wire(job->request));
}

void agent_state::forward_in(const caf::actor& asker, std::uint64_t corr, wire_request& req) {
  auto r = from_wire(req);
  auto h = caf::actor_cast<caf::actor>(self);
  env->serve_forwarded(std::move(r), [h, asker, corr](net::http_response resp) {
    actors::post(h, fwd_done_atom::value, asker, corr, std::make_shared<net::http_response>(std::move(resp)));
  });
}

// The answer goes straight back to the asking agent: this node's own link to
// it may not be up yet (it joined just now). If the asker is gone, it
// answered 503 already and the message is dropped.
void agent_state::forward_done(const caf::actor& to, std::uint64_t corr, const response_ptr& resp) {
  if (!to) return;
  wire_response w{resp->status, std::move(resp->body), std::move(resp->content_type), {}};
  for (auto& [k, v] : resp->headers) {
    w.headers.push_back(k);
    w.headers.push_back(v);
  }
  self->send(to, fwd_rep_atom::value, corr, std::move(w));
}

void agent_state::forward_reply(std::uint64_t corr, wire_response& w) {
  auto it = forwards_.find(corr);
  if (it == forwards_.end()) return;  // answered 503 already (timeout or loss)
  net::http_response r;
  r.status = w.status;
  r.body = std::move(w.body);
  r.content_type = std::move(w.content_type);
  for (std::size_t i = 0; i + 1 < w.headers.size(); i += 2) r.headers.emplace_back(w.headers[i], w.headers[i + 1]);
  auto respond = std::move(it->second.respond);
  forwards_.erase(it);
  respond(std::move(r));
}

}  // namespace pw::cluster
