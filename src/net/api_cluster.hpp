// (cluster) The operators' routes of a node in a cluster:
//   GET  /api/v1/admin/cluster        members, slots by node, handoffs (admin)
//   POST /api/v1/admin/cluster/drain  {"node": "...", "drain": true|false} (admin)
// `pipewright cluster status|drain` are their clients.
#pragma once

#include <functional>
#include <string>

#include "core/result.hpp"
#include "net/router.hpp"

namespace pw::net {

struct cluster_admin {
  std::function<std::string()> status_json;
  std::function<core::result<void>(const std::string& node, bool drain)> drain;
};

void add_cluster_routes(router& routes, cluster_admin admin);

}  // namespace pw::net
