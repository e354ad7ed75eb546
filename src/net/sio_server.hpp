// Socket.IO v4 at /socket.io/ (Engine.IO v4), written by hand: a client
// opens a session over HTTP long-polling and upgrades it to a WebSocket (the
// stock client's default), or opens it over a WebSocket at once. It then
// connects to the namespace "/" with auth {token} (a JWT; a bad one gets
// connect_error), and receives its user's events (and the admins' room for
// an admin) by name: 42["asset_processed", {seq, type, ...}] carries the
// same frame a plain WebSocket socket gets. auth {since, admins_since}
// replays what a reconnecting client missed, as ?since= does on /api/v1/ws.
// The server pings every ping interval (half of limits.ws_idle_timeout_ms)
// and drops a session that does not answer within the ping timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "actors/gateway.hpp"
#include "net/auth.hpp"
#include "net/http_types.hpp"
#include "store/database.hpp"

namespace pw::net {

struct sio_options {
  std::chrono::milliseconds ping_interval{30000};
  std::chrono::milliseconds ping_timeout{30000};
  std::size_t max_payload = 65536;  // bytes of one packet (or polling body) from a client
  std::size_t send_queue = 4096;    // packets queued for one slow client before it is dropped
  std::size_t send_buffer_bytes = 0;  // SO_SNDBUF of a WebSocket transport; 0: the kernel's autotuning
};

class sio_session;

class sio_server {
 public:
  sio_server(boost::asio::io_context& ioc, sio_options opts, authenticator& auth, actors::gateway& gate,
             const store::database& db);
  ~sio_server();

  // True for the paths this server answers ("/socket.io/", "/socket.io").
  static bool handles(std::string_view path) noexcept;
  // Long-polling: GET (open a session, or poll) and POST (send packets).
  void handle_http(const http_request& req, responder respond);
  // A WebSocket upgrade: a new session, or the upgrade of a polling one (?sid=).
  void accept_websocket(boost::asio::ip::tcp::socket&& socket,
                        boost::beast::http::request<boost::beast::http::string_body>&& req,
                        const std::map<std::string, std::string, std::less<>>& query);
  // Closes every session (server stop).
  void shutdown_all();
  std::size_t size() const;

  // For sessions.
  void remove(const std::string& sid);
  const sio_options& options() const noexcept { return opts_; }
  authenticator& auth() noexcept { return auth_; }
  actors::gateway& gate() noexcept { return gate_; }
  const store::database& db() const noexcept { return db_; }
  boost::asio::io_context& io() noexcept { return ioc_; }

 private:
  std::shared_ptr<sio_session> find(const std::string& sid) const;
  boost::asio::io_context& ioc_;
  sio_options opts_;
  authenticator& auth_;
  actors::gateway& gate_;
  const store::database& db_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<sio_session>> sessions_;
};

}  // namespace pw::net
