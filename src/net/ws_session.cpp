#include "net/ws_session.hpp"

#include <algorithm>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/websocket.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>

#include "core/json.hpp"
#include "store/write_set.hpp"

namespace pw::net {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace asio = boost::asio;

ws_session::ws_session(asio::ip::tcp::socket&& socket, principal who, ws_options opts, actors::gateway& gate,
                       const store::database& db, ws_registry& registry, std::shared_ptr<void> slot)
    : ws_(std::move(socket)),
      who_(std::move(who)),
      opts_(opts),
      gate_(gate),
      db_(db),
      registry_(registry),
      close_deadline_(ws_.get_executor()),
      rate_(opts_.max_messages_per_s),
      slot_(std::move(slot)) {
  rooms_.push_back(who_.sub);
  if (who_.admin) rooms_.emplace_back(store::admins_room);
}

ws_session::~ws_session() { registry_.remove(this); }

void ws_session::run(beast::http::request<beast::http::string_body> upgrade) {
  registry_.add(shared_from_this());
  // Called on the thread that read the upgrade; the socket lives on its own
  // strand (server.ws_threads), where everything else it does runs too.
  asio::dispatch(ws_.get_executor(), [self = shared_from_this(), upgrade = std::move(upgrade)]() mutable {
    self->accept(std::move(upgrade));
  });
}

void ws_session::accept(beast::http::request<beast::http::string_body> upgrade) {
  // Autotuned, the kernel takes up to 4 MB for a peer that stopped reading
  // before the send queue (limits.ws_send_queue) notices: thousands of
  // frames pushed through the stack for nothing (docs/reliability.md, "Overload").
  if (opts_.send_buffer_bytes > 0) {
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().set_option(
        asio::socket_base::send_buffer_size(static_cast<int>(opts_.send_buffer_bytes)), ec);
  }
  auto t = websocket::stream_base::timeout::suggested(beast::role_type::server);
  // Beast pings after half the idle timeout of silence and drops the socket
  // when the other half passes without a pong.
  t.idle_timeout = opts_.idle_timeout;
  t.keep_alive_pings = true;
  ws_.set_option(t);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(beast::http::field::server, "pipewright"); }));
  ws_.read_message_max(opts_.max_frame_bytes);
  ws_.async_accept(upgrade, beast::bind_front_handler(&ws_session::on_accept, shared_from_this()));
}

void ws_session::on_accept(beast::error_code ec) {
  if (ec) return finish();
  if (opts_.metrics) opts_.metrics->ws_opened(opts_.live_stats);
  opened_ = true;
  joined_gateway_ = true;
  gate_.join(shared_from_this());
  do_read();
}

void ws_session::joined() {
  asio::post(ws_.get_executor(), [self = shared_from_this()] {
    self->joined_replay_ = true;
    self->replay();
  });
}

void ws_session::deliver(const std::string& room, std::uint64_t seq, std::shared_ptr<const std::string> frame,
                         std::int64_t committed_ns) {
  if (!taking_events_.load(std::memory_order_relaxed)) {
    if (opts_.metrics) opts_.metrics->ws_frames_dropped(1);
    return;
  }
  bool first;
  {
    std::lock_guard lock(inbox_mu_);
    first = inbox_.empty();
    inbox_.push_back(inbound_event{room, seq, std::move(frame), committed_ns});
  }
  if (first) asio::post(ws_.get_executor(), [self = shared_from_this()] { self->take_inbox(); });
}

void ws_session::take_inbox() {
  std::vector<inbound_event> events;
  {
    std::lock_guard lock(inbox_mu_);
    events.swap(inbox_);
  }
  for (auto& e : events) {
    if (!replaying_) {
      forward(e.room, e.seq, std::move(e.frame), e.committed_ns);
      continue;
    }
    // Every delivered event is already in the store: the replay reads it
    // from there. Only remember how far the room got.
    auto& newest = live_newest_[e.room];
    newest = std::max(newest, e.seq);
  }
}

// Live stats are best effort: skipped while the socket catches up or when
// its queue is half full, so they never push a slow socket into overflow.
void ws_session::deliver_live(std::shared_ptr<const std::string> frame) {
  asio::post(ws_.get_executor(), [self = shared_from_this(), frame = std::move(frame)]() mutable {
    if (!self->opts_.live_stats || self->replaying_ || self->closing_ || self->queue_.size() >= self->opts_.send_queue / 2)
      return;
    self->enqueue(std::move(frame));
  });
}

// Replays the rooms' missed events page by page, reading the next page only
// when the send queue has room, so a long catch-up never overflows it. Runs
// again from do_write() as the queue drains. A page is read through the
// gateway (in a cluster, from the node that keeps the room's log) and
// handled on this socket's strand.
void ws_session::replay() {
  if (replay_reading_) return;
  const std::size_t low_water = std::max<std::size_t>(1, opts_.send_queue / 2);
  const std::size_t page_size = std::min<std::size_t>(512, low_water);
  while (replay_room_ < rooms_.size()) {
    if (closing_) return;
    const auto& room = rooms_[replay_room_];
    const bool admins = room == store::admins_room;
    const auto since = admins ? opts_.admins_since : opts_.since;
    if (!since) {
      ++replay_room_;
      replay_first_page_ = true;
      continue;
    }
    if (replay_first_page_) replay_after_ = *since;
    replay_reading_ = true;
    gate_.read_events(room, replay_after_, page_size, [self = shared_from_this()](std::optional<actors::replay_page> page) {
      asio::post(self->ws_.get_executor(), [self, page = std::move(page)]() mutable { self->on_replay_page(std::move(page)); });
    });
    return;
  }
  replaying_ = false;
  live_newest_.clear();
}

void ws_session::on_replay_page(std::optional<actors::replay_page> page) {
  replay_reading_ = false;
  if (closing_ || replay_room_ >= rooms_.size()) return;
  const auto& room = rooms_[replay_room_];
  if (!page) return interrupted(room);
  const bool admins = room == store::admins_room;
  const auto since = admins ? opts_.admins_since : opts_.since;
  if (replay_first_page_ && page->first_retained > replay_after_ + 1 && replay_after_ < page->last_seq)
    enqueue(std::make_shared<const std::string>(
        fmt::format("{{\"type\":\"replay.truncated\",\"room\":\"{}\",\"since\":{},\"first_available\":{}}}",
                    admins ? "admins" : "user", since.value_or(0), page->first_retained)));
  replay_first_page_ = false;
  if (page->events.empty()) {
    // Caught up, unless events were delivered (and so committed) after the read.
    if (live_newest_[room] <= replay_after_) {
      ++replay_room_;
      replay_first_page_ = true;
    }
    return replay();
  }
  for (auto& [seq, frame] : page->events) {
    replay_after_ = seq;
    forward(room, seq, std::make_shared<const std::string>(std::move(frame)));
  }
  const std::size_t low_water = std::max<std::size_t>(1, opts_.send_queue / 2);
  if (queue_.size() >= low_water) return;  // do_write() calls back when the queue drains
  replay();
}

void ws_session::interrupted(const std::string& room) {
  asio::post(ws_.get_executor(), [self = shared_from_this(), room] {
    spdlog::info("event=ws.interrupted user={} room={} code={}", self->who_.sub, room, close_log_interrupted);
    self->close(close_log_interrupted, "this user's event log moved or its node is unreachable: reconnect with ?since=<last seq>");
  });
}

void ws_session::forward(const std::string& room, std::uint64_t seq, std::shared_ptr<const std::string> frame,
                         std::int64_t committed_ns) {
  auto& last = last_sent_[room];
  if (seq <= last) return;
  last = seq;
  enqueue(std::move(frame), committed_ns);
}

void ws_session::enqueue(std::shared_ptr<const std::string> frame, std::int64_t committed_ns) {
  if (closing_ || finished_) {
    if (opts_.metrics) opts_.metrics->ws_frames_dropped(1);
    return;
  }
  if (queue_.size() >= opts_.send_queue) {
    spdlog::warn("event=ws.overflow user={} queued={} action=close code={}", who_.sub, queue_.size(), close_send_overflow);
    if (opts_.metrics) opts_.metrics->ws_frames_dropped(1);
    close_reason_ = core::ws_close::overflow;
    return close(close_send_overflow, "send queue overflow: reconnect with ?since=<last seq>");
  }
  queue_.push_back(queued_frame{std::move(frame), committed_ns});
  if (!writing_) do_write();
}

void ws_session::discard_queue() {
  const auto before = queue_.size();
  if (writing_ && !queue_.empty()) queue_.erase(std::next(queue_.begin()), queue_.end());  // still being written
  else queue_.clear();
  if (opts_.metrics) opts_.metrics->ws_frames_dropped(before - queue_.size());
}

void ws_session::do_write() {
  if (pending_close_) {
    auto reason = *pending_close_;
    pending_close_.reset();
    writing_ = true;
    ws_.async_close(reason, [self = shared_from_this()](beast::error_code) { self->finish(); });
    return;
  }
  if (queue_.empty()) {
    writing_ = false;
    return;
  }
  writing_ = true;
  ws_.text(true);
  ws_.async_write(asio::buffer(*queue_.front().frame), [self = shared_from_this()](beast::error_code ec, std::size_t) {
    if (ec) return self->finish();
    if (!self->queue_.empty()) {
      if (self->opts_.metrics) self->opts_.metrics->ws_frame_sent(self->queue_.front().committed_ns, core::node_metrics::now_ns());
      self->queue_.pop_front();
    }
    if (self->replaying_ && self->joined_replay_ && self->queue_.size() < std::max<std::size_t>(1, self->opts_.send_queue / 2) / 2)
      self->replay();
    self->do_write();
  });
}

void ws_session::do_read() {
  ws_.async_read(read_buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
    if (ec) {
      if (ec == websocket::error::message_too_big) {
        spdlog::warn("event=ws.frame_too_big user={} limit={}", self->who_.sub, self->opts_.max_frame_bytes);
        self->close_reason_ = core::ws_close::frame_too_big;
      }
      return self->finish();
    }
    auto data = self->read_buffer_.cdata();
    std::string text(static_cast<const char*>(data.data()), data.size());
    self->read_buffer_.consume(self->read_buffer_.size());
    if (!self->ws_.got_text()) {
      spdlog::debug("event=ws.binary_refused user={}", self->who_.sub);
      return self->close(websocket::close_code::unknown_data, "binary frames are not accepted: send JSON text messages");
    }
    self->on_message(text);
    if (!self->closing_) self->do_read();
  });
}

// The messages a client may send (docs/assets.md, "WebSocket client
// messages"): {"type":"ping"} (optionally with an "id", echoed) is answered
// {"type":"pong"} (browsers cannot send WebSocket pings). Any other text is
// answered with an error frame, {"type":"error","code":"INVALID_MESSAGE" |
// "UNKNOWN_MESSAGE",...}, and the socket stays open; a binary frame closes it
// with 1003, text that is not UTF-8 with 1007 (Beast checks it). More than
// limits.ws_max_messages_per_s messages in a second closes it with 1008.
void ws_session::on_message(std::string_view text) {
  if (!rate_.admit(std::chrono::steady_clock::now())) {
    spdlog::warn("event=ws.rate_exceeded user={} limit_per_s={}", who_.sub, opts_.max_messages_per_s);
    close_reason_ = core::ws_close::rate_limited;
    return close(websocket::close_code::policy_error, "too many messages: limits.ws_max_messages_per_s");
  }
  enqueue(std::make_shared<const std::string>(answer_client_message(text)));
}

void ws_session::close(std::uint16_t code, std::string reason) {
  if (closing_ || finished_) return;
  closing_ = true;
  // A closing socket takes no more events: leaving now spares the notifier
  // and this strand every event until the peer takes the close frame.
  leave_rooms();
  close_deadline_.expires_after(opts_.idle_timeout);
  close_deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec || self->finished_) return;
    spdlog::info("event=ws.close_unanswered user={} waited_ms={} action=drop", self->who_.sub, self->opts_.idle_timeout.count());
    self->finish();
  });
  // The frame being written stays alive until its write completes.
  discard_queue();
  websocket::close_reason why;
  why.code = code;
  why.reason = reason;
  pending_close_ = why;
  // A write in flight finishes first, then the close frame goes out.
  if (!writing_) do_write();
}

void ws_session::leave_rooms() {
  taking_events_ = false;
  if (!joined_gateway_) return;
  joined_gateway_ = false;
  gate_.leave(shared_from_this());
}

void ws_session::shutdown() {
  asio::post(ws_.get_executor(), [self = shared_from_this()] {
    if (!self->closing_) self->close_reason_ = core::ws_close::shutdown;
    self->close(websocket::close_code::going_away, "server shutting down");
  });
}

void ws_session::finish() {
  if (finished_) return;
  finished_ = true;
  closing_ = true;
  leave_rooms();
  close_deadline_.cancel();
  discard_queue();
  if (opened_ && opts_.metrics) opts_.metrics->ws_closed(opts_.live_stats, close_reason_);
  beast::error_code ec;
  beast::get_lowest_layer(ws_).socket().close(ec);
}

void ws_registry::add(const std::shared_ptr<ws_session>& s) {
  std::lock_guard lock(mu_);
  sessions_[s.get()] = s;
}

void ws_registry::remove(ws_session* s) {
  std::lock_guard lock(mu_);
  sessions_.erase(s);
}

void ws_registry::shutdown_all() {
  std::vector<std::shared_ptr<ws_session>> live;
  {
    std::lock_guard lock(mu_);
    for (auto& [p, w] : sessions_)
      if (auto s = w.lock()) live.push_back(std::move(s));
  }
  for (auto& s : live) s->shutdown();
}

std::size_t ws_registry::size() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

}  // namespace pw::net
