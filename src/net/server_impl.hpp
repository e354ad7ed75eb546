// Internal to src/net: the server's state, shared by the acceptor
// (server.cpp) and the connections it hands over (http_session.cpp).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <thread>
#include <vector>

#include <boost/asio.hpp>

#include "net/server.hpp"
#include "net/sio_server.hpp"
#include "net/ws_session.hpp"

namespace pw::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct server::impl {
  impl(const core::config& c, router& r, authenticator& a, actors::gateway& g, const store::database& d,
       core::node_metrics* m)
      : cfg(c),
        routes(r),
        auth(a),
        gate(g),
        db(d),
        metrics(m),
        ioc(static_cast<int>(c.server.io_threads)),
        ws_ioc(static_cast<int>(std::max<std::uint32_t>(1, c.server.ws_threads))),
        acceptor(asio::make_strand(ioc)),
        sio(ioc,
            sio_options{c.limits.ws_idle_timeout / 2, c.limits.ws_idle_timeout / 2, c.limits.ws_max_frame_bytes,
                        c.limits.ws_send_queue, c.limits.ws_send_buffer_bytes},
            a, g, d) {}

  const core::config& cfg;
  router& routes;
  std::function<void(http_request&, responder)> front;  // (cluster) in front of the router
  authenticator& auth;
  actors::gateway& gate;
  const store::database& db;
  core::node_metrics* metrics;
  // Declared before ioc: sessions destroyed with the io_context's pending
  // handlers still update these.
  std::atomic<std::size_t> connections{0};
  std::atomic<std::uint64_t> request_counter{0};
  std::atomic<bool> stopped{false};
  ws_registry sockets;
  asio::io_context ioc;
  // The /api/v1/ws sockets run on threads of their own (server.ws_threads;
  // 0: on the HTTP threads): a burst of frames to many sockets never queues
  // ahead of an HTTP request.
  asio::io_context ws_ioc;
  asio::executor_work_guard<asio::io_context::executor_type> ws_work{ws_ioc.get_executor()};
  tcp::acceptor acceptor;
  asio::steady_timer accept_pause{acceptor.get_executor()};
  std::chrono::steady_clock::time_point last_accept_warning{};
  sio_server sio;  // Socket.IO at /socket.io/
  std::vector<std::thread> threads;

  void do_accept();
  // The socket of an upgraded connection, moved onto ws_ioc.
  tcp::socket to_ws_thread(tcp::socket&& socket);
};

// A new connection within server.max_connections: read requests, route
// them, upgrade to a WebSocket or Socket.IO when asked (http_session.cpp).
void serve_http(boost::asio::ip::tcp::socket&& socket, server::impl& srv);
// A connection over server.max_connections: 429 at once, then closed.
void refuse_connection(boost::asio::ip::tcp::socket&& socket);

}  // namespace pw::net
