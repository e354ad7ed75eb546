// The HTTP gate of a node in a cluster (DESIGN §8): in front of the router,
// it finds the slot a request concerns (the workspace of a submit or a
// workspace route, the item an id names), and runs the request here when
// this node serves the slot, forwards it in one hop to the node that does,
// or answers 503 with Retry-After when none can now. Answers that span
// workspaces (a user's items of every workspace, the admin's queue counts,
// dead letters and failed items, a requeue of all dead letters) are
// gathered from every node that holds slots. On a single node it is the
// router itself.
#pragma once

#include "net/cluster_routing.hpp"
#include "net/router.hpp"

namespace pw::net {

class cluster_front {
 public:
  cluster_front(router& routes, cluster_routing* cluster) : routes_(routes), cluster_(cluster) {}
  // A request from a client.
  void dispatch(http_request& req, responder respond);
  // A request another node forwarded: answered here or refused, never sent on.
  void dispatch_forwarded(http_request req, responder respond);

 private:
  struct target {
    enum class kind : std::uint8_t { here, slot, gather } what = kind::here;
    std::uint32_t slot = 0;
  };
  target classify(const http_request& req) const;
  void gather(http_request& req, responder respond);
  router& routes_;
  cluster_routing* cluster_;
};

}  // namespace pw::net
