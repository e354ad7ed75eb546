// The hostile clients of pw-hostile (hostile.hpp), on one io_context.
#include <chrono>
#include <functional>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "hostile.hpp"

namespace pwh {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

struct env {
  asio::io_context& ioc;
  const options& o;
  tally& t;
  std::atomic<bool>& stop;
};

void connect_from(beast::tcp_stream& s, const char* source, const env& e, std::function<void(beast::error_code)> then) {
  beast::error_code ec;
  s.socket().open(tcp::v4(), ec);
  s.socket().set_option(asio::socket_base::reuse_address(true), ec);
  s.socket().bind(tcp::endpoint(asio::ip::make_address(source), 0), ec);
  if (ec) return then(ec);
  s.expires_after(20s);
  s.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), e.o.port), std::move(then));
}

void later(const env& e, std::chrono::milliseconds d, std::function<void()> fn) {
  auto t = std::make_shared<asio::steady_timer>(e.ioc, d);
  t->async_wait([t, fn = std::move(fn)](beast::error_code) { fn(); });
}

// A WebSocket client: idle (reads and answers pings), slow (never reads),
// or a frame abuser (too many messages, or one too big).
class ws_client : public std::enable_shared_from_this<ws_client> {
 public:
  enum class kind { idle, slow, flood_messages, big_frame };
  ws_client(const env& e, kind k, int n) : e_(e), k_(k), n_(n), ws_(e.ioc) {}

  void start() {
    const char* source = k_ == kind::idle ? "127.0.0.4" : k_ == kind::slow ? "127.0.0.6" : "127.0.0.8";
    connect_from(beast::get_lowest_layer(ws_), source, e_, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->failed("connect");
      beast::get_lowest_layer(self->ws_).expires_never();
      self->ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
      const std::string user = self->k_ == kind::idle   ? "idle-" + std::to_string(self->n_ % 200)
                               : self->k_ == kind::slow ? std::string("ordinary")
                                                        : std::string("flooder");
      self->ws_.async_handshake("127.0.0.1", "/api/v1/ws?token=" + token_for(self->e_.o, user),
                                [self](beast::error_code ec) { self->on_open(ec); });
    });
  }

  void close() {
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().close(ec);
  }

 private:
  std::string name() const {
    switch (k_) {
      case kind::idle: return "idle";
      case kind::slow: return "slow";
      case kind::flood_messages: return "frames.flood";
      case kind::big_frame: return "frames.big";
    }
    return "ws";
  }
  void failed(const std::string& what) {
    e_.t.add(name() + "." + what + "_failed");
    again(1000ms);
  }
  void again(std::chrono::milliseconds d) {
    if (e_.stop) return;
    auto next = std::make_shared<ws_client>(e_, k_, n_);
    later(e_, d, [next] { next->start(); });
  }
  void on_open(beast::error_code ec) {
    if (ec) return failed("handshake");
    e_.t.add(name() + ".connected");
    if (k_ == kind::slow) return hold();
    if (k_ == kind::flood_messages) return flood(0);
    if (k_ == kind::big_frame) {
      big_ = std::string(100 * 1024, 'x');
      ws_.async_write(asio::buffer(big_), [self = shared_from_this()](beast::error_code, std::size_t) { self->read(); });
      return;
    }
    read();
  }
  // Never reads: the server's frames for this user pile up in its queue.
  void hold() {
    later(e_, 20s, [self = shared_from_this()] {
      self->close();
      self->again(10ms);
    });
  }
  void flood(int i) {
    if (i >= 150) return read();
    ws_.text(true);
    ws_.async_write(asio::buffer(msg_), [self = shared_from_this(), i](beast::error_code ec, std::size_t) {
      if (ec) return self->read();
      self->flood(i + 1);
    });
  }
  void read() {
    ws_.async_read(buf_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (!ec) {
        self->buf_.consume(self->buf_.size());
        return self->read();
      }
      if (self->e_.stop) return;
      const auto code = static_cast<int>(self->ws_.reason().code);
      self->e_.t.add(self->name() + ".closed_" + (code ? std::to_string(code) : ec.message()));
      self->again(self->k_ == kind::idle ? 1000ms : 200ms);
    });
  }

  env e_;
  kind k_;
  int n_;
  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buf_;
  std::string msg_ = "{\"type\":\"hello\"}";
  std::string big_;
};

// Raw HTTP abusers: slowloris, the 401 flood, oversize requests, and
// connections over the limit.
class raw_client : public std::enable_shared_from_this<raw_client> {
 public:
  enum class kind { slowloris, flood, oversize_header, oversize_body, excess };
  raw_client(const env& e, kind k) : e_(e), k_(k), s_(e.ioc) {}

  void start() {
    const char* source = k_ == kind::slowloris ? "127.0.0.5" : k_ == kind::flood ? "127.0.0.3" : k_ == kind::excess ? "127.0.0.9" : "127.0.0.7";
    started_ = std::chrono::steady_clock::now();
    connect_from(s_, source, e_, [self = shared_from_this()](beast::error_code ec) {
      if (ec) {
        self->e_.t.add(self->name() + ".connect_failed");
        return self->again(500ms);
      }
      self->s_.expires_never();
      self->on_connected();
    });
  }

 private:
  std::string name() const {
    switch (k_) {
      case kind::slowloris: return "slowloris";
      case kind::flood: return "flood";
      case kind::oversize_header: return "oversize.header";
      case kind::oversize_body: return "oversize.body";
      case kind::excess: return "excess";
    }
    return "raw";
  }
  void again(std::chrono::milliseconds d) {
    if (e_.stop || k_ == kind::oversize_header || k_ == kind::oversize_body || k_ == kind::excess) return;
    auto next = std::make_shared<raw_client>(e_, k_);
    later(e_, d, [next] { next->start(); });
  }
  void on_connected() {
    switch (k_) {
      case kind::slowloris:
        out_ = "GET /api/v1/items HTTP/1.1\r\nHost: x\r\n";
        write_then([self = shared_from_this()] { self->trickle(); });
        watch_close();
        return;
      case kind::flood: return flood();
      case kind::oversize_header:
        out_ = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n";
        return write_then([self = shared_from_this()] { self->read_status(); });
      case kind::oversize_body:
        out_ = "POST /api/v1/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer " +
               token_for(e_.o, "ordinary") + "\r\nContent-Length: 10000000\r\n\r\n" + std::string(1000, ' ');
        return write_then([self = shared_from_this()] { self->read_status(); });
      case kind::excess:
        out_ = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
        return write_then([self = shared_from_this()] { self->read_status(); });
    }
  }
  void write_then(std::function<void()> next) {
    asio::async_write(s_, asio::buffer(out_), [self = shared_from_this(), next = std::move(next)](beast::error_code ec, std::size_t) {
      if (ec) return self->ended(ec);
      next();
    });
  }
  // A header byte a second, for as long as the server keeps the connection.
  void trickle() {
    later(e_, 1000ms, [self = shared_from_this()] {
      if (self->closed_ || self->e_.stop) return;
      self->out_ = "a";
      self->write_then([self] { self->trickle(); });
    });
  }
  void watch_close() {
    s_.async_read_some(asio::buffer(scratch_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (!ec) return self->watch_close();
      self->ended(ec);
    });
  }
  void ended(beast::error_code) {
    if (closed_) return;
    closed_ = true;
    if (e_.stop) return;
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_).count();
    e_.t.add(name() + ".closed_by_server");
    e_.t.add(name() + ".held_ms_total", static_cast<std::uint64_t>(ms));
    again(10ms);
  }
  void flood() {
    if (e_.stop) return;
    req_ = {};
    req_.method(http::verb::get);
    req_.target("/api/v1/items");
    req_.set(http::field::host, "x");
    req_.set(http::field::authorization, "Bearer " + forged_);
    http::async_write(s_, req_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->ended(ec);
      self->res_ = {};
      http::async_read(self->s_, self->buf_, self->res_, [self](beast::error_code ec, std::size_t) {
        if (ec) return self->ended(ec);
        self->e_.t.add("flood." + std::to_string(self->res_.result_int()));
        self->flood();
      });
    });
  }
  void read_status() {
    s_.expires_after(10s);
    http::async_read(s_, buf_, res_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - self->started_).count();
      if (ec) self->e_.t.add(self->name() + ".no_answer");
      else self->e_.t.add(self->name() + "." + std::to_string(self->res_.result_int()));
      if (!ec && self->k_ == kind::excess) self->e_.t.add("excess.answer_us_total", static_cast<std::uint64_t>(ms * 1000));
      beast::error_code ignored;
      self->s_.socket().close(ignored);
    });
  }

  env e_;
  kind k_;
  beast::tcp_stream s_;
  std::string out_;
  char scratch_[512];
  bool closed_ = false;
  std::chrono::steady_clock::time_point started_;
  beast::flat_buffer buf_;
  http::request<http::empty_body> req_;
  http::response<http::string_body> res_;
  std::string forged_ = token_for(e_.o, "flood").substr(0, token_for(e_.o, "flood").size() - 4) + "AAAA";
};

// Starts `n` clients made by `make`, `per_tick` every 50 ms (a burst of
// thousands of SYNs would overflow the listen backlog).
void ramp(const env& e, int n, int per_tick, std::function<void(int)> make, int from = 0) {
  if (from >= n || e.stop) return;
  for (int i = from; i < std::min(n, from + per_tick); ++i) make(i);
  later(e, 50ms, [e, n, per_tick, make, from] { ramp(e, n, per_tick, make, from + per_tick); });
}

void oversize_loop(const env& e, int i) {
  if (e.stop) return;
  std::make_shared<raw_client>(e, i % 2 ? raw_client::kind::oversize_header : raw_client::kind::oversize_body)->start();
  later(e, 50ms, [e, i] { oversize_loop(e, i + 1); });
}

void excess_loop(const env& e) {
  if (e.stop) return;
  for (int i = 0; i < e.o.excess; ++i) std::make_shared<raw_client>(e, raw_client::kind::excess)->start();
  later(e, std::chrono::seconds(e.o.excess_every_s), [e] { excess_loop(e); });
}

}  // namespace

void start_attacks(asio::io_context& ioc, const options& o, tally& t, std::atomic<bool>& stop) {
  env e{ioc, o, t, stop};
  ramp(e, o.idle, 100, [e](int i) { std::make_shared<ws_client>(e, ws_client::kind::idle, i)->start(); });
  ramp(e, o.slow, 10, [e](int i) { std::make_shared<ws_client>(e, ws_client::kind::slow, i)->start(); });
  ramp(e, o.slowloris, 50, [e](int) { std::make_shared<raw_client>(e, raw_client::kind::slowloris)->start(); });
  ramp(e, o.flood, 4, [e](int) { std::make_shared<raw_client>(e, raw_client::kind::flood)->start(); });
  ramp(e, o.frames, 5, [e](int i) {
    std::make_shared<ws_client>(e, i % 2 ? ws_client::kind::big_frame : ws_client::kind::flood_messages, i)->start();
  });
  oversize_loop(e, 0);
  // The excess bursts start once the others hold their connections.
  later(e, 8000ms, [e] { excess_loop(e); });
}

}  // namespace pwh
