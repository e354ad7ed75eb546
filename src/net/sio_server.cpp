#include "net/sio_server.hpp"

#include <boost/beast/websocket.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "net/sio_protocol.hpp"
#include "net/sio_session.hpp"

namespace pw::net {

namespace beast = boost::beast;
namespace websocket = beast::websocket;

namespace {

http_response eio_error(int code, std::string_view message) {
  return json_response(400, fmt::format("{{\"code\":{},\"message\":\"{}\"}}", code, message));
}

std::string query(const std::map<std::string, std::string, std::less<>>& q, std::string_view key) {
  auto it = q.find(key);
  return it == q.end() ? std::string() : it->second;
}

// The token of the opening request, if it carried one (?token= or
// Authorization: Bearer); auth {token} of the CONNECT packet wins over it.
std::string handshake_token(const std::map<std::string, std::string, std::less<>>& q, std::string_view authorization) {
  if (auto t = query(q, "token"); !t.empty()) return t;
  constexpr std::string_view bearer = "Bearer ";
  if (authorization.substr(0, bearer.size()) == bearer) return std::string(authorization.substr(bearer.size()));
  return {};
}

}  // namespace

sio_server::sio_server(boost::asio::io_context& ioc, sio_options opts, authenticator& auth, actors::gateway& gate,
                       const store::database& db)
    : ioc_(ioc), opts_(opts), auth_(auth), gate_(gate), db_(db) {}

sio_server::~sio_server() = default;

bool sio_server::handles(std::string_view path) noexcept { return path == "/socket.io/" || path == "/socket.io"; }

std::shared_ptr<sio_session> sio_server::find(const std::string& sid) const {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(sid);
  return it == sessions_.end() ? nullptr : it->second;
}

void sio_server::remove(const std::string& sid) {
  std::lock_guard lock(mu_);
  sessions_.erase(sid);
}

std::size_t sio_server::size() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

void sio_server::shutdown_all() {
  std::vector<std::shared_ptr<sio_session>> live;
  {
    std::lock_guard lock(mu_);
    for (auto& [sid, s] : sessions_) live.push_back(s);
  }
  for (auto& s : live) s->close("server shutting down");
}

void sio_server::handle_http(const http_request& req, responder respond) {
  if (query(req.query, "EIO") != "4") return respond(eio_error(5, "Unsupported protocol version"));
  if (query(req.query, "transport") != "polling") return respond(eio_error(0, "Transport unknown"));
  const auto sid = query(req.query, "sid");
  if (sid.empty()) {
    if (req.method != "GET") return respond(eio_error(2, "Bad handshake method"));
    auto s = std::make_shared<sio_session>(*this, sio::new_sid(), handshake_token(req.query, req.authorization), req.remote);
    {
      std::lock_guard lock(mu_);
      sessions_.emplace(s->sid(), s);
    }
    return s->open_polling(std::move(respond));
  }
  auto s = find(sid);
  if (!s) return respond(eio_error(1, "Session ID unknown"));
  if (req.method == "GET") return s->poll(std::move(respond));
  if (req.method == "POST") {
    if (req.body.size() > opts_.max_payload) {
      s->close("a polling body over maxPayload");
      return respond(error_response(core::errc::payload_too_large,
                                    fmt::format("a polling body is limited to {} bytes (limits.ws_max_frame_bytes)", opts_.max_payload)));
    }
    return s->post(req.body, std::move(respond));
  }
  respond(eio_error(2, "Bad handshake method"));
}

void sio_server::accept_websocket(boost::asio::ip::tcp::socket&& socket,
                                  beast::http::request<beast::http::string_body>&& req,
                                  const std::map<std::string, std::string, std::less<>>& q) {
  boost::system::error_code remote_ec;
  auto remote = socket.remote_endpoint(remote_ec).address().to_string();
  if (opts_.send_buffer_bytes > 0)  // as for /api/v1/ws (ws_session::run)
    socket.set_option(boost::asio::socket_base::send_buffer_size(static_cast<int>(opts_.send_buffer_bytes)), remote_ec);
  auto ws = std::make_shared<sio_session::ws_stream>(std::move(socket));
  auto t = websocket::stream_base::timeout::suggested(beast::role_type::server);
  t.idle_timeout = websocket::stream_base::none();  // Engine.IO's own pings keep it alive
  ws->set_option(t);
  ws->set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(beast::http::field::server, "pipewright"); }));
  ws->read_message_max(opts_.max_payload);
  auto upgrade = std::make_shared<beast::http::request<beast::http::string_body>>(std::move(req));
  const bool valid = query(q, "EIO") == "4" && query(q, "transport") == "websocket";
  const auto sid = query(q, "sid");
  auto token = handshake_token(q, (*upgrade)[beast::http::field::authorization]);
  ws->async_accept(*upgrade, [this, ws, upgrade, valid, sid, token, remote](beast::error_code ec) {
    if (ec) return;
    auto refuse = [ws](std::string why) {
      ws->async_close(websocket::close_reason(websocket::close_code::policy_error, why), [ws](beast::error_code) {});
    };
    if (!valid) return refuse("expected EIO=4 and transport=websocket");
    if (!sid.empty()) {
      auto s = find(sid);
      if (!s) return refuse("Session ID unknown");
      return s->upgrade(ws);
    }
    auto s = std::make_shared<sio_session>(*this, sio::new_sid(), token, remote);
    {
      std::lock_guard lock(mu_);
      sessions_.emplace(s->sid(), s);
    }
    s->open_websocket(ws);
  });
}

}  // namespace pw::net
