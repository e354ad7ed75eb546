// Internal to src/net: a WebSocket subscriber. It joins its rooms through
// the gateway, replays what the client missed (?since=SEQ) from the store,
// then forwards live events, each once and in seq order per room. A socket
// whose send queue overflows is closed with code 4001 so that one slow
// client never slows the others; it reconnects with ?since=.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "actors/gateway.hpp"
#include "core/node_metrics.hpp"
#include "net/auth.hpp"
#include "net/ws_messages.hpp"
#include "net/ws_options.hpp"
#include "store/database.hpp"

namespace pw::net {

inline constexpr std::uint16_t close_send_overflow = 4001;
// (cluster) The user's event log moved or its node was lost: reconnect with ?since=.
inline constexpr std::uint16_t close_log_interrupted = 4002;

class ws_registry;

class ws_session final : public actors::event_sink, public std::enable_shared_from_this<ws_session> {
 public:
  // `slot` is the connection's place among server.max_connections, held
  // for as long as the socket lives.
  ws_session(boost::asio::ip::tcp::socket&& socket, principal who, ws_options opts, actors::gateway& gate,
             const store::database& db, ws_registry& registry, std::shared_ptr<void> slot = nullptr);
  ~ws_session() override;

  void run(boost::beast::http::request<boost::beast::http::string_body> upgrade);
  // Closes with 1001 (going away); any thread.
  void shutdown();

  const std::vector<std::string>& rooms() const override { return rooms_; }
  void deliver(const std::string& room, std::uint64_t seq, std::shared_ptr<const std::string> frame,
               std::int64_t committed_ns) override;
  void deliver_live(std::shared_ptr<const std::string> frame) override;
  void joined() override;
  void interrupted(const std::string& room) override;

 private:
  void accept(boost::beast::http::request<boost::beast::http::string_body> upgrade);
  void on_accept(boost::beast::error_code ec);
  // On the socket's strand: the events deliver() gathered since the last call.
  void take_inbox();
  void replay();
  void on_replay_page(std::optional<actors::replay_page> page);
  void forward(const std::string& room, std::uint64_t seq, std::shared_ptr<const std::string> frame,
               std::int64_t committed_ns = 0);
  void enqueue(std::shared_ptr<const std::string> frame, std::int64_t committed_ns = 0);
  // Drops every queued frame but the one being written; counts them.
  void discard_queue();
  void do_write();
  void do_read();
  void close(std::uint16_t code, std::string reason);
  // Stops taking events and leaves the gateway (once).
  void leave_rooms();
  void on_message(std::string_view text);
  void finish();

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer read_buffer_;
  principal who_;
  ws_options opts_;
  actors::gateway& gate_;
  const store::database& db_;
  ws_registry& registry_;
  std::vector<std::string> rooms_;
  std::map<std::string, std::uint64_t> last_sent_;
  // Replay of missed events (see replay()): the room being read, the last
  // seq read, and the newest live seq seen per room meanwhile.
  bool replaying_ = true;
  bool joined_replay_ = false;
  std::size_t replay_room_ = 0;
  bool replay_first_page_ = true;
  bool replay_reading_ = false;  // a page is being read (in a cluster, maybe from another node)
  std::uint64_t replay_after_ = 0;
  std::map<std::string, std::uint64_t> live_newest_;
  struct queued_frame {
    std::shared_ptr<const std::string> frame;
    std::int64_t committed_ns = 0;  // 0: replayed or not an event (no lag measured)
  };
  std::deque<queued_frame> queue_;
  // Events from the notifier's thread wait here; one post to the strand
  // takes all that arrived meanwhile (not a post per event and socket).
  struct inbound_event {
    std::string room;
    std::uint64_t seq = 0;
    std::shared_ptr<const std::string> frame;
    std::int64_t committed_ns = 0;
  };
  std::mutex inbox_mu_;
  std::vector<inbound_event> inbox_;
  std::atomic<bool> taking_events_{true};  // false once closing: events are dropped before the post
  // From close(): a peer that has not taken the close frame within the idle
  // timeout is dropped. Beast's own idle timeout does not fire while a write
  // to a peer that stopped reading is stuck.
  boost::asio::steady_timer close_deadline_;
  bool writing_ = false;
  bool joined_gateway_ = false;
  bool closing_ = false;
  bool finished_ = false;
  bool opened_ = false;  // counted as open in the metrics
  core::ws_close close_reason_ = core::ws_close::peer;
  std::optional<boost::beast::websocket::close_reason> pending_close_;
  message_rate rate_;  // client messages, against limits.ws_max_messages_per_s
  std::shared_ptr<void> slot_;
};

// The live sockets, so that stop() can close them.
class ws_registry {
 public:
  void add(const std::shared_ptr<ws_session>& s);
  void remove(ws_session* s);
  void shutdown_all();
  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::map<ws_session*, std::weak_ptr<ws_session>> sessions_;
};

}  // namespace pw::net
