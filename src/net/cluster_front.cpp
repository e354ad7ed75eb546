#include "net/cluster_front.hpp"

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <simdjson.h>

#include "net/api_common.hpp"

namespace pw::net {

namespace json = boost::json;

namespace {

std::vector<std::string_view> parts_of(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return out;
}

// The workspace of a submitted item, if the body names one.
std::optional<std::string> submitted_workspace(const std::string& body) {
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(body);
  auto doc = parser.iterate(padded);
  if (doc.error()) return std::nullopt;
  std::string_view ws;
  if (doc["workspace"].get_string().get(ws)) return std::nullopt;
  return std::string(ws);
}

http_response unavailable(const slot_route& r) {
  auto resp = error_response(core::errc::unavailable, "the workspace's node cannot answer now: " + r.why + "; retry later");
  for (auto& [k, v] : resp.headers)
    if (k == "Retry-After") v = std::to_string(std::max(1, r.retry_after_s));
  return resp;
}

// Answers of a workspace's or item's own node say which node that was.
responder tagged(responder respond, const std::string& node) {
  return [respond = std::move(respond), node](http_response r) {
    r.headers.emplace_back("X-Pipewright-Node", node);
    respond(std::move(r));
  };
}

}  // namespace

cluster_front::target cluster_front::classify(const http_request& req) const {
  using k = target::kind;
  auto p = parts_of(req.path);
  if (p.size() < 3 || p[0] != "api" || p[1] != "v1") return {};
  if (p[2] == "items") {
    if (p.size() == 3 && req.method == "POST") {
      auto ws = submitted_workspace(req.body);
      if (!ws || !valid_workspace_id(*ws)) return {};  // answered here: 400
      return {k::slot, cluster_->workspace_slot(*ws)};
    }
    if (p.size() == 3 && req.method == "GET") {
      auto ws = req.query_value("workspace");
      if (ws && !ws->empty()) {
        if (!valid_workspace_id(*ws)) return {};
        return {k::slot, cluster_->workspace_slot(*ws)};
      }
      return {k::gather, 0};
    }
    if (p.size() >= 4) {
      auto slot = cluster_->item_slot(p[3]);
      if (!slot) return {};  // not an id made in this cluster: 404 here
      return {k::slot, *slot};
    }
    return {};
  }
  if (p[2] == "workspaces" && p.size() >= 4) {
    if (!valid_workspace_id(p[3])) return {};
    return {k::slot, cluster_->workspace_slot(p[3])};
  }
  if (p[2] == "admin" && p.size() >= 4) {
    if (p[3] == "dlq" && p.size() == 6 && p[5] == "resolve") {
      auto id = p[4].substr(0, p[4].find(':'));
      auto slot = cluster_->item_slot(id);
      if (!slot) return {};
      return {k::slot, *slot};
    }
    if ((p.size() == 4 && (p[3] == "queue" || p[3] == "dlq" || p[3] == "failed-items") && req.method == "GET") ||
        (p.size() == 5 && p[3] == "dlq" && p[4] == "requeue" && req.method == "POST"))
      return {k::gather, 0};
  }
  return {};
}

void cluster_front::dispatch(http_request& req, responder respond) {
  if (!cluster_) return routes_.dispatch(req, std::move(respond));
  const auto t = classify(req);
  if (t.what == target::kind::here) return routes_.dispatch(req, std::move(respond));
  if (t.what == target::kind::gather) return gather(req, std::move(respond));
  auto shared = std::make_shared<http_request>(std::move(req));
  cluster_->route(t.slot, [this, shared, respond = std::move(respond)](slot_route r) mutable {
    switch (r.what) {
      case slot_route::kind::local: return routes_.dispatch(*shared, tagged(std::move(respond), cluster_->node_name()));
      case slot_route::kind::remote: return cluster_->forward(r.node, *shared, std::move(respond));
      case slot_route::kind::unavailable: return respond(unavailable(r));
    }
  });
}

void cluster_front::dispatch_forwarded(http_request req, responder respond) {
  const auto t = classify(req);
  if (t.what != target::kind::slot) return routes_.dispatch(req, std::move(respond));  // gathers answer from here only
  auto shared = std::make_shared<http_request>(std::move(req));
  cluster_->route(t.slot, [this, shared, respond = std::move(respond)](slot_route r) mutable {
    if (r.what == slot_route::kind::local) return routes_.dispatch(*shared, tagged(std::move(respond), cluster_->node_name()));
    // One hop: the sender asks again with what it learns meanwhile.
    if (r.what == slot_route::kind::remote) r = slot_route{slot_route::kind::unavailable, {}, 1, "it moved to node " + r.node};
    respond(unavailable(r));
  });
}

// Asks every node that holds slots (this one directly) and merges their
// answers; 503 when one of them cannot be asked.
void cluster_front::gather(http_request& req, responder respond) {
  std::vector<std::string> unreachable;
  auto nodes = cluster_->nodes_with_slots(&unreachable);
  if (!unreachable.empty()) {
    return respond(unavailable(slot_route{slot_route::kind::unavailable, {}, 1,
                                          fmt::format("node {} holds some of the answer and is not reachable", unreachable.front())}));
  }
  const auto& me = cluster_->node_name();
  if (std::find(nodes.begin(), nodes.end(), me) == nodes.end()) nodes.push_back(me);
  struct state {
    std::mutex mu;
    std::vector<http_response> answers;
    std::size_t left;
    responder respond;
    http_request req;
  };
  auto st = std::make_shared<state>();
  st->left = nodes.size();
  st->respond = std::move(respond);
  st->req = req;
  auto merge = [st]() {
    for (auto& a : st->answers)
      if (a.status != 200) return st->respond(std::move(a));
    const auto p = parts_of(st->req.path);
    std::vector<json::object> parsed;
    for (auto& a : st->answers) {
      boost::system::error_code ec;
      auto v = json::parse(a.body, ec);
      if (ec || !v.is_object()) return st->respond(error_response(core::errc::internal, "a node answered a gather with no JSON"));
      parsed.push_back(std::move(v.as_object()));
    }
    json::object out;
    if (p.back() == "queue") {
      for (auto& o : parsed)
        for (auto& [k, v] : o)
          if (v.is_int64()) out[k] = (out.contains(k) ? out[k].as_int64() : 0) + v.as_int64();
      return st->respond(json_response(200, json::serialize(out)));
    }
    if (p.back() == "requeue") {
      std::int64_t n = 0;
      for (auto& o : parsed)
        if (auto* r = o.if_contains("requeued"); r && r->is_int64()) n += r->as_int64();
      return st->respond(json_response(200, fmt::format("{{\"requeued\":{}}}", n)));
    }
    // Pages: items newest first by id (items, failed items), dead letters by
    // their key (item id, stage) ascending.
    const bool letters = p.back() == "dlq";
    std::size_t limit = letters ? 100 : 50;
    if (auto l = st->req.query_value("limit")) limit = std::max<std::size_t>(1, std::strtoul(std::string(*l).c_str(), nullptr, 10));
    std::vector<json::value> items;
    bool more = false;
    std::int64_t open = 0;
    for (auto& o : parsed) {
      if (auto* n = o.if_contains("next_cursor"); n && n->is_string()) more = true;
      if (auto* a = o.if_contains("items"); a && a->is_array())
        for (auto& i : a->as_array()) items.push_back(i);
      if (auto* n = o.if_contains("open"); n && n->is_int64()) open += n->as_int64();
    }
    auto key = [letters](const json::value& v) -> std::string {
      if (!v.is_object()) return {};
      const auto& o = v.as_object();
      auto str = [&](std::string_view k) {
        auto* x = o.if_contains(k);
        return x && x->is_string() ? std::string(x->as_string()) : std::string();
      };
      if (!letters) return str("id");
      return str("item_id") + "/" + str("stage");
    };
    std::sort(items.begin(), items.end(), [&](const auto& a, const auto& b) { return letters ? key(a) < key(b) : key(a) > key(b); });
    // Mid-handoff both the giver and the taker may hold a record: list it once.
    items.erase(std::unique(items.begin(), items.end(), [&](const auto& a, const auto& b) { return key(a) == key(b); }), items.end());
    if (items.size() > limit) {
      items.resize(limit);
      more = true;
    }
    json::array arr(items.begin(), items.end());
    out["items"] = std::move(arr);
    if (more && !items.empty()) out["next_cursor"] = encode_cursor(key(items.back()));
    else out["next_cursor"] = nullptr;
    if (letters) out["open"] = open;
    st->respond(json_response(200, json::serialize(out)));
  };
  for (const auto& n : nodes) {
    auto done = [st, merge](http_response r) {
      bool last;
      {
        std::lock_guard lock(st->mu);
        st->answers.push_back(std::move(r));
        last = --st->left == 0;
      }
      if (last) merge();
    };
    if (n == me) {
      auto local = req;
      routes_.dispatch(local, std::move(done));
    } else {
      cluster_->forward(n, req, std::move(done));
    }
  }
}

}  // namespace pw::net
