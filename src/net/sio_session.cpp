#include "net/sio_session.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/json.hpp"
#include "net/sio_protocol.hpp"
#include "store/write_set.hpp"

namespace pw::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using namespace sio;

namespace {

http_response text(std::string body) {
  http_response r;
  r.status = 200;
  r.content_type = "text/plain; charset=UTF-8";
  r.body = std::move(body);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

// Engine.IO's own error answer for a polling request it cannot serve.
http_response eio_error(int code, std::string_view message) {
  return json_response(400, fmt::format("{{\"code\":{},\"message\":\"{}\"}}", code, message));
}

// The event name of a stored frame: its "type".
std::string_view type_of(std::string_view frame) {
  constexpr std::string_view key = "\"type\":\"";
  auto at = frame.find(key);
  if (at == std::string_view::npos) return "message";
  auto start = at + key.size();
  auto end = frame.find('"', start);
  return end == std::string_view::npos ? std::string_view("message") : frame.substr(start, end - start);
}

std::optional<std::uint64_t> counter_of(const boost::json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_uint64()) return v->as_uint64();
  if (v->is_int64() && v->as_int64() >= 0) return static_cast<std::uint64_t>(v->as_int64());
  return std::nullopt;
}

}  // namespace

sio_session::sio_session(sio_server& server, std::string sid, std::string handshake_token, std::string remote)
    : server_(server),
      strand_(asio::make_strand(server.io())),
      timer_(strand_),
      sid_(std::move(sid)),
      handshake_token_(std::move(handshake_token)),
      remote_(std::move(remote)) {}

sio_session::~sio_session() = default;

void sio_session::open_polling(responder respond) {
  asio::post(strand_, [self = shared_from_this(), respond = std::move(respond)] {
    const auto& o = self->server_.options();
    respond(text(open_packet(self->sid_, true, o.ping_interval.count(), o.ping_timeout.count(), o.max_payload)));
    self->heartbeat();
  });
}

void sio_session::poll(responder respond) {
  asio::post(strand_, [self = shared_from_this(), respond = std::move(respond)]() mutable {
    if (self->closed_) return respond(eio_error(1, "Session ID unknown"));
    if (self->websocket_) return respond(text(encode_eio(eio::noop)));
    if (self->pending_poll_) {
      respond(eio_error(3, "Bad request"));
      return self->finish("two polls at once");
    }
    self->pending_poll_ = std::move(respond);
    self->flush_poll();
  });
}

void sio_session::post(std::string body, responder respond) {
  asio::post(strand_, [self = shared_from_this(), body = std::move(body), respond = std::move(respond)] {
    if (self->closed_) return respond(eio_error(1, "Session ID unknown"));
    respond(text("ok"));
    for (auto packet : split_payload(body)) {
      if (self->closed_) break;
      self->on_packet(packet);
    }
  });
}

void sio_session::open_websocket(std::shared_ptr<ws_stream> ws) {
  asio::post(strand_, [self = shared_from_this(), ws = std::move(ws)] {
    self->websocket_ = true;
    self->ws_ = ws;
    const auto& o = self->server_.options();
    self->send(open_packet(self->sid_, false, o.ping_interval.count(), o.ping_timeout.count(), o.max_payload));
    self->heartbeat();
    self->ws_read(ws, false);
  });
}

void sio_session::upgrade(std::shared_ptr<ws_stream> ws) {
  asio::post(strand_, [self = shared_from_this(), ws = std::move(ws)] {
    if (self->closed_ || self->websocket_) {
      beast::error_code ec;
      beast::get_lowest_layer(*ws).socket().close(ec);
      return;
    }
    self->ws_read(ws, true);
  });
}

void sio_session::close(std::string why) {
  asio::post(strand_, [self = shared_from_this(), why = std::move(why)] { self->finish(why); });
}

void sio_session::on_packet(std::string_view text) {
  auto p = parse_eio(text);
  if (!p) return finish("a packet Engine.IO does not define");
  switch (p->type) {
    case eio::pong: awaiting_pong_ = false; break;
    case eio::ping: send(encode_eio(eio::pong, p->data)); break;
    case eio::message: on_message(p->data); break;
    case eio::close: finish("the client closed the session"); break;
    case eio::open:
    case eio::upgrade:
    case eio::noop: break;
  }
}

void sio_session::on_message(std::string_view text) {
  auto p = parse_sio(text);
  if (!p) return finish("a malformed Socket.IO packet");
  if (p->type == sio_type::binary_event || p->type == sio_type::binary_ack)
    return finish("binary packets are not accepted");
  if (p->nsp != "/") {
    if (p->type == sio_type::connect)
      send(encode_sio(sio_type::connect_error, "{\"message\":\"Invalid namespace\"}", p->nsp));
    return;
  }
  switch (p->type) {
    case sio_type::connect: return connect(p->json);
    case sio_type::disconnect:
      connected_ = false;
      if (joined_gateway_) server_.gate().leave(shared_from_this());
      joined_gateway_ = false;
      return;
    case sio_type::event: {
      if (!connected_) return;
      // The only event a client may emit: "ping", answered on its ack.
      boost::system::error_code ec;
      auto v = boost::json::parse(p->json, ec);
      const bool ping = !ec && v.is_array() && !v.as_array().empty() && v.as_array()[0].is_string() &&
                        v.as_array()[0].as_string() == "ping";
      if (ping && p->ack_id) send(encode_sio(sio_type::ack, fmt::format("{}[\"pong\"]", *p->ack_id)));
      return;
    }
    default: return;
  }
}

void sio_session::connect(std::string_view auth_json) {
  if (connected_) return send(encode_sio(sio_type::connect, fmt::format("{{\"sid\":\"{}\"}}", sid_)));
  std::string token = handshake_token_;
  since_.reset();
  admins_since_.reset();
  if (!auth_json.empty()) {
    boost::system::error_code ec;
    auto v = boost::json::parse(auth_json, ec);
    if (ec || !v.is_object())
      return send(encode_sio(sio_type::connect_error, "{\"message\":\"auth must be a JSON object {token}\"}"));
    const auto& o = v.as_object();
    if (auto* t = o.if_contains("token"); t && t->is_string()) token = std::string(t->as_string());
    since_ = counter_of(o, "since");
    admins_since_ = counter_of(o, "admins_since");
  }
  if (token.empty())
    return send(encode_sio(sio_type::connect_error,
                           "{\"message\":\"no token: connect with auth {token: \\\"<JWT>\\\"}\",\"data\":{\"code\":\"UNAUTHORIZED\"}}"));
  auto who = server_.auth().verify(token, remote_);
  if (!who) {
    std::string body = "{\"message\":";
    core::append_json_string(body, who.err().message);
    body += ",\"data\":{\"code\":\"UNAUTHORIZED\"}}";
    spdlog::debug("event=sio.refused sid={} reason=\"{}\"", sid_, who.err().message);
    return send(encode_sio(sio_type::connect_error, body));
  }
  who_ = std::move(who).value();
  rooms_ = {who_.sub};
  if (who_.admin) rooms_.emplace_back(store::admins_room);
  connected_ = true;
  // The socket's id: the session's, as the reference server answers.
  send(encode_sio(sio_type::connect, fmt::format("{{\"sid\":\"{}\"}}", sid_)));
  spdlog::debug("event=sio.connected sid={} user={} transport={}", sid_, who_.sub, websocket_ ? "websocket" : "polling");
  joined_gateway_ = true;
  server_.gate().join(shared_from_this());
}

void sio_session::joined() {
  asio::post(strand_, [self = shared_from_this()] { self->replay(); });
}

void sio_session::deliver(const std::string& room, std::uint64_t seq, std::shared_ptr<const std::string> frame,
                          std::int64_t /*committed_ns*/) {
  asio::post(strand_, [self = shared_from_this(), room, seq, frame = std::move(frame)] {
    if (!self->connected_ || self->closed_) return;
    self->forward(room, seq, *frame);
  });
}

// What a reconnecting client missed, from the store, before live events
// (which wait on this strand meanwhile and are dropped when already sent).
void sio_session::replay() {
  for (const auto& room : rooms_) {
    const auto since = room == store::admins_room ? admins_since_ : since_;
    if (!since) continue;
    std::uint64_t after = *since;
    bool first = true;
    for (;;) {
      auto page = server_.db().events(room, after, 512);
      if (first && page.first_retained > after + 1 && after < page.last_seq)
        forward(room, 0,
                fmt::format("{{\"type\":\"replay.truncated\",\"room\":\"{}\",\"since\":{},\"first_available\":{}}}",
                            room == store::admins_room ? "admins" : "user", *since, page.first_retained));
      first = false;
      if (page.events.empty()) break;
      for (auto& [seq, frame] : page.events) {
        after = seq;
        forward(room, seq, frame);
      }
      if (closed_) return;
    }
  }
}

void sio_session::forward(const std::string& room, std::uint64_t seq, const std::string& frame) {
  if (seq > 0) {
    auto& last = last_sent_[room];
    if (seq <= last) return;
    last = seq;
  }
  send(event_message(type_of(frame), frame));
}

void sio_session::send(std::string packet) {
  if (closed_) return;
  if (outbox_.size() >= server_.options().send_queue) {
    spdlog::warn("event=sio.overflow sid={} user={} queued={}", sid_, who_.sub, outbox_.size());
    return finish("send queue overflow: reconnect with auth {since}");
  }
  outbox_.push_back(std::move(packet));
  if (websocket_) {
    if (!writing_) ws_write();
  } else {
    flush_poll();
  }
}

void sio_session::flush_poll() {
  if (!pending_poll_ || outbox_.empty()) return;
  std::vector<std::string> packets(std::make_move_iterator(outbox_.begin()), std::make_move_iterator(outbox_.end()));
  outbox_.clear();
  auto respond = std::move(*pending_poll_);
  pending_poll_.reset();
  respond(text(join_payload(packets)));
}

void sio_session::ws_write() {
  if (outbox_.empty() || closed_) {
    writing_ = false;
    return;
  }
  writing_ = true;
  ws_->text(true);
  ws_->async_write(asio::buffer(outbox_.front()),
                   asio::bind_executor(strand_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
                     if (!self->outbox_.empty()) self->outbox_.pop_front();
                     if (self->closed_) {
                       self->writing_ = false;
                       return self->close_ws();
                     }
                     if (ec) return self->finish("write failed: " + ec.message());
                     self->ws_write();
                   }));
}

void sio_session::close_ws() {
  if (!ws_ || ws_closing_) return;
  ws_closing_ = true;
  websocket::close_reason reason(websocket::close_code::normal);
  ws_->async_close(reason, asio::bind_executor(strand_, [self = shared_from_this()](beast::error_code) {
    beast::error_code ignored;
    beast::get_lowest_layer(*self->ws_).socket().close(ignored);
  }));
}

// Reads packets from a WebSocket. While `probing` (a polling session's
// upgrade), it answers 2probe with 3probe; 5 then moves the session onto it.
void sio_session::ws_read(const std::shared_ptr<ws_stream>& ws, bool probing) {
  auto buffer = std::make_shared<beast::flat_buffer>();
  ws->async_read(*buffer, asio::bind_executor(strand_, [self = shared_from_this(), ws, buffer, probing](beast::error_code ec,
                                                                                                      std::size_t) {
    if (self->closed_) return;
    if (ec) {
      if (!probing || self->ws_ == ws) return self->finish("the socket closed: " + ec.message());
      return;  // a failed upgrade: the session goes on polling
    }
    if (!ws->got_text()) return self->finish("binary frames are not accepted");
    auto data = buffer->cdata();
    std::string msg(static_cast<const char*>(data.data()), data.size());
    bool still_probing = probing;
    if (probing) {
      if (msg == encode_eio(eio::ping, "probe")) {
        auto pong = std::make_shared<std::string>(encode_eio(eio::pong, "probe"));
        ws->text(true);
        ws->async_write(asio::buffer(*pong), asio::bind_executor(self->strand_, [pong](beast::error_code, std::size_t) {}));
      } else if (msg == encode_eio(eio::upgrade)) {
        // The upgrade: the poll in flight is released, the rest goes here.
        self->websocket_ = true;
        self->ws_ = ws;
        still_probing = false;
        if (self->pending_poll_) {
          auto respond = std::move(*self->pending_poll_);
          self->pending_poll_.reset();
          respond(text(encode_eio(eio::noop)));
        }
        if (!self->writing_) self->ws_write();
      }
    } else {
      self->on_packet(msg);
    }
    if (!self->closed_) self->ws_read(ws, still_probing);
  }));
}

// A ping every interval; no pong by the next one ends the session.
void sio_session::heartbeat() {
  timer_.expires_after(server_.options().ping_interval);
  timer_.async_wait(asio::bind_executor(strand_, [self = shared_from_this()](beast::error_code ec) {
    if (ec || self->closed_) return;
    if (self->awaiting_pong_) return self->finish("no pong within the ping timeout");
    self->awaiting_pong_ = true;
    self->send(encode_eio(eio::ping));
    self->heartbeat();
  }));
}

void sio_session::finish(const std::string& why) {
  if (closed_) return;
  closed_ = true;
  spdlog::debug("event=sio.closed sid={} user={} reason=\"{}\"", sid_, who_.sub, why);
  timer_.cancel();
  if (joined_gateway_) server_.gate().leave(shared_from_this());
  joined_gateway_ = false;
  connected_ = false;
  if (pending_poll_) {
    auto respond = std::move(*pending_poll_);
    pending_poll_.reset();
    respond(text(encode_eio(eio::close)));
  }
  // A frame being written stays alive until its write completes; the close
  // frame follows it.
  if (writing_ && !outbox_.empty()) outbox_.erase(std::next(outbox_.begin()), outbox_.end());
  else outbox_.clear();
  if (ws_ && !writing_) close_ws();
  server_.remove(sid_);
}

}  // namespace pw::net
