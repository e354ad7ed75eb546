// Internal to src/net: one Engine.IO session and its Socket.IO connection to
// the namespace "/" (sio_server.hpp). All its state lives on its strand.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "net/sio_server.hpp"

namespace pw::net {

class sio_session final : public actors::event_sink, public std::enable_shared_from_this<sio_session> {
 public:
  using ws_stream = boost::beast::websocket::stream<boost::beast::tcp_stream>;

  // `remote`: the client's address, for the failed-authentication limit.
  sio_session(sio_server& server, std::string sid, std::string handshake_token, std::string remote);
  ~sio_session() override;

  const std::string& sid() const noexcept { return sid_; }

  // Long-polling (any thread).
  void open_polling(responder respond);
  void poll(responder respond);
  void post(std::string body, responder respond);
  // WebSocket: a new session on it, or the upgrade of this polling one.
  void open_websocket(std::shared_ptr<ws_stream> ws);
  void upgrade(std::shared_ptr<ws_stream> ws);
  void close(std::string why);  // any thread

  const std::vector<std::string>& rooms() const override { return rooms_; }
  void deliver(const std::string& room, std::uint64_t seq, std::shared_ptr<const std::string> frame,
               std::int64_t committed_ns) override;
  // The admins' live stats frames are for /api/v1/ws?stats=1 only.
  void deliver_live(std::shared_ptr<const std::string>) override {}
  void joined() override;

 private:
  void on_packet(std::string_view text);
  void on_message(std::string_view text);
  void connect(std::string_view auth_json);
  void send(std::string packet);
  void flush_poll();
  void ws_read(const std::shared_ptr<ws_stream>& ws, bool probing);
  void ws_write();
  void close_ws();
  void heartbeat();
  void replay();
  void forward(const std::string& room, std::uint64_t seq, const std::string& frame);
  void finish(const std::string& why);

  sio_server& server_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::steady_timer timer_;
  std::string sid_;
  std::string handshake_token_;  // ?token= or Authorization of the opening request
  std::string remote_;
  bool websocket_ = false;       // packets go over ws_ (else polling)
  std::shared_ptr<ws_stream> ws_;
  bool ws_closing_ = false;
  std::deque<std::string> outbox_;  // packets waiting for a poll, or for the socket
  bool writing_ = false;
  std::optional<responder> pending_poll_;
  bool awaiting_pong_ = false;
  bool closed_ = false;

  // The Socket.IO connection to "/".
  bool connected_ = false;
  bool joined_gateway_ = false;
  principal who_;
  std::vector<std::string> rooms_;
  std::optional<std::uint64_t> since_, admins_since_;
  bool replaying_ = false;
  std::map<std::string, std::uint64_t> last_sent_;
};

}  // namespace pw::net
