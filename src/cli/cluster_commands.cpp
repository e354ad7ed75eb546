// `pipewright cluster status | drain NODE`: clients of the cluster's admin
// routes (net/api_cluster.hpp) on any node of the cluster.
#include <iostream>

#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "cli/client.hpp"
#include "cli/commands.hpp"
#include "core/json.hpp"

namespace pw::cli {

namespace {

std::string text(const boost::json::object& o, const char* key) {
  auto* v = o.if_contains(key);
  if (!v || v->is_null()) return {};
  if (v->is_string()) return std::string(v->as_string());
  return boost::json::serialize(*v);
}

int refused(const answer& a) {
  std::cerr << "error: " << a.explain() << '\n';
  return a.status == 0 ? 2 : 1;
}

}  // namespace

int cluster(const cluster_options& o) {
  auto e = resolve(o.client);
  if (!e) return 2;
  client c(*e);
  if (o.action == "status") {
    auto a = c.get("/api/v1/admin/cluster");
    if (!a.ok()) return refused(a);
    if (o.client.json || !a.json.is_object()) return std::cout << a.body << '\n', 0;
    const auto& s = a.json.as_object();
    std::cout << fmt::format("cluster {}  (asked node {}, etcd revision {}, {} slots, {} unclaimed)\n", text(s, "cluster"),
                             text(s, "node"), text(s, "revision"), text(s, "slots"), text(s, "unclaimed_slots"));
    std::cout << fmt::format("  {:<16} {:<6} {:<7} {:<9} {:>5} {:>8}  {}\n", "NODE", "ALIVE", "LINKED", "DRAINING", "SLOTS",
                             "SERVING", "HTTP");
    for (const auto& m : s.at("members").as_array()) {
      const auto& v = m.as_object();
      std::cout << fmt::format("  {:<16} {:<6} {:<7} {:<9} {:>5} {:>8}  {}\n", text(v, "node"), text(v, "alive"),
                               text(v, "linked"), text(v, "draining"), text(v, "slots"), text(v, "serving"), text(v, "http"));
    }
    const auto& h = s.at("handoffs").as_array();
    std::cout << fmt::format("handoffs under way: {}\n", h.size());
    for (const auto& x : h) {
      const auto& v = x.as_object();
      std::cout << fmt::format("  slot {}  {} -> {}  since {}\n", text(v, "slot"), text(v, "from"), text(v, "to"), text(v, "since"));
    }
    return 0;
  }
  if (o.action == "drain") {
    if (o.node.empty()) {
      std::cerr << "error: cluster drain takes the node's name\n";
      return 2;
    }
    std::string body = "{\"node\":";
    core::append_json_string(body, o.node);
    body += o.undo ? ",\"drain\":false}" : ",\"drain\":true}";
    auto a = c.post("/api/v1/admin/cluster/drain", body);
    if (!a.ok()) return refused(a);
    std::cout << (o.client.json ? a.body
                                : fmt::format("node {} {}", o.node,
                                              o.undo ? "takes slots again" : "is draining: its slots move to the other nodes"))
              << '\n';
    return 0;
  }
  std::cerr << "error: cluster takes status or drain\n";
  return 2;
}

}  // namespace pw::cli
