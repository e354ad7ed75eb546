// What the HTTP layer needs of a cluster (DESIGN §8), in plain C++: which
// slot a request concerns, where that slot is served, forwarding to another
// node in one hop, and the nodes to gather cross-workspace answers from.
// Implemented by src/cluster/node.cpp; absent on a single node.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_types.hpp"

namespace pw::net {

struct slot_route {
  enum class kind : std::uint8_t { local, remote, unavailable } what = kind::unavailable;
  std::string node;        // remote: where to forward
  int retry_after_s = 1;   // unavailable: when to try again
  std::string why;         // unavailable: for the error message
};

class cluster_routing {
 public:
  virtual ~cluster_routing() = default;
  virtual const std::string& node_name() const = 0;
  virtual std::uint32_t workspace_slot(std::string_view workspace) const = 0;
  virtual std::optional<std::uint32_t> item_slot(std::string_view id) const = 0;
  // Where a request for `slot` goes. May wait (a slot being claimed or
  // handed off) up to cluster.handoff_wait_ms; calls `then` once, on any thread.
  virtual void route(std::uint32_t slot, std::function<void(slot_route)> then) = 0;
  // Sends the request to `node` and answers with its answer, or with 503
  // UNAVAILABLE when it cannot answer within cluster.forward_timeout_ms or
  // is lost meanwhile. `respond` is called exactly once, on any thread.
  virtual void forward(const std::string& node, const http_request& req, responder respond) = 0;
  // The nodes that hold slots (for answers that span workspaces), and those
  // of them that cannot be asked now.
  virtual std::vector<std::string> nodes_with_slots(std::vector<std::string>* unreachable) const = 0;
  // Whether this node's copy of the slot is the one to read (serving it, or
  // handing it off): answers gathered from every node keep only these.
  virtual bool serves(std::uint32_t slot) const = 0;
};

}  // namespace pw::net
