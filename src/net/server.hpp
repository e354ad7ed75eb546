// The HTTP and WebSocket server (Boost.Beast, async): one port, a few I/O
// threads. HTTP requests go through the router; GET /api/v1/ws upgrades to a
// WebSocket that joins its user's room.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "actors/gateway.hpp"
#include "core/config.hpp"
#include "core/node_metrics.hpp"
#include "core/result.hpp"
#include "net/auth.hpp"
#include "net/router.hpp"
#include "store/database.hpp"

namespace pw::net {

class server {
 public:
  server(const core::config& cfg, router& routes, authenticator& auth, actors::gateway& gate, const store::database& db,
         core::node_metrics* metrics = nullptr);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // (cluster) Requests go through `front` (net/cluster_front.hpp) instead of
  // straight to the router. Set before start().
  void set_front(std::function<void(http_request&, responder)> front);
  // Binds, listens and starts the I/O threads; answers the bound port.
  core::result<std::uint16_t> start();
  // Closes the listener and every connection (WebSockets get 1001 "going
  // away"), then joins the I/O threads.
  void stop();
  std::size_t connections() const noexcept;

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace pw::net
