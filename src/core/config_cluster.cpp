// The [cluster] table: off by default (a single node needs nothing); when
// enabled, the node's name, etcd, the node-to-node interface and secret.
#include "core/config_toml.hpp"

namespace pw::core::toml_config {

void read_cluster(section& s, cluster_config& c) {
  s.boolean("enabled", c.enabled);
  s.str("name", c.name, true);
  s.str("node", c.node);
  s.strings("etcd", c.etcd);
  std::string listen;
  s.str("listen", listen);
  s.str("advertise_host", c.advertise_host);
  s.str("secret", c.secret);
  s.integer("slots", c.slots, 1, max_slots);
  s.integer("lease_ttl_s", c.lease_ttl_s, 2, 3600);
  s.integer("heartbeat_ms", c.heartbeat_ms, 50, 60'000);
  s.integer("peer_timeout_ms", c.peer_timeout_ms, 100, 600'000);
  s.integer("forward_timeout_ms", c.forward_timeout_ms, 10, 600'000);
  s.integer("handoff_timeout_ms", c.handoff_timeout_ms, 100, 3'600'000);
  s.integer("handoff_wait_ms", c.handoff_wait_ms, 0, 600'000);
  s.finish();
  if (s.failed()) return;
  if (!listen.empty()) {
    auto l = parse_listen(listen, "cluster.listen");
    if (!l) return s.fail(l.err().message.substr(std::string_view("config: ").size()));
    c.peer_host = l->host;
    c.peer_port = l->port;
  }
  if (!valid_node_name(c.name)) return s.fail("cluster.name: must be 1-64 characters of letters, digits, '.', '_' or '-'");
  if (!c.enabled) return;
  if (!valid_node_name(c.node))
    return s.fail("cluster.node: required when cluster.enabled: 1-64 characters of letters, digits, '.', '_' or '-', "
                  "unique in the cluster and the same across restarts");
  if (c.etcd.empty()) return s.fail("cluster.etcd: required when cluster.enabled (e.g. [\"http://127.0.0.1:2379\"])");
  for (const auto& e : c.etcd)
    if (e.rfind("http://", 0) != 0) return s.fail(format("cluster.etcd: '{}' must start with http://", e));
  if (c.secret.size() < 16)
    return s.fail("cluster.secret: required when cluster.enabled, at least 16 characters (PIPEWRIGHT_CLUSTER__SECRET)");
  if (c.peer_timeout_ms <= c.heartbeat_ms)
    return s.fail(format("cluster.peer_timeout_ms: must be more than heartbeat_ms ({})", c.heartbeat_ms));
  if (c.advertise_host.empty()) c.advertise_host = c.peer_host;
}

}  // namespace pw::core::toml_config
