#include "run.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <unordered_map>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include "measure.hpp"
#include "report.hpp"

namespace pwlg {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
using ms = std::chrono::duration<double, std::milli>;

namespace {

auto no_throw(beast::error_code& ec) { return asio::redirect_error(use_awaitable, ec); }

tcp::endpoint endpoint_of(const endpoint& e) {
  return {asio::ip::make_address(e.host == "localhost" ? "127.0.0.1" : e.host), e.port};
}

class engine {
 public:
  engine(const options& opt, asio::io_context& ioc) : opt_(opt), ioc_(ioc), st_(opt) {}

  awaitable<void> main();

  run_state& state() { return st_; }

 private:
  awaitable<void> socket_reader(int user, int slot, std::shared_ptr<websocket::stream<beast::tcp_stream>> ws);
  awaitable<void> lane(bool paced, double t0, double interval);
  awaitable<std::string> run_phase(long from, long to, bool paced, double deadline);
  awaitable<void> sleep_ms(double d);
  awaitable<void> verify_sample();
  void log(const std::string& m) const {
    if (!opt_.quiet) std::fprintf(stderr, "[pw-loadgen] %s\n", m.c_str());
  }

  const options& opt_;
  asio::io_context& ioc_;
  run_state st_;
  std::vector<std::shared_ptr<websocket::stream<beast::tcp_stream>>> sockets_;
  int lanes_running_ = 0;
  int sockets_open_ = 0, sockets_failed_ = 0;
};

awaitable<void> engine::sleep_ms(double d) {
  asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::duration_cast<std::chrono::nanoseconds>(ms(d)));
  beast::error_code ec;
  co_await t.async_wait(no_throw(ec));
}

awaitable<void> engine::socket_reader(int user, int slot, std::shared_ptr<websocket::stream<beast::tcp_stream>> ws) {
  beast::error_code ec;
  auto& tcp_layer = beast::get_lowest_layer(*ws);
  tcp_layer.expires_after(std::chrono::seconds(10));
  co_await tcp_layer.async_connect(endpoint_of(opt_.socket), no_throw(ec));
  std::string target = opt_.socket.path.empty() ? "/" : opt_.socket.path;
  target += opt_.api == api_kind::anchor ? "?user=" + st_.users[user] : "?token=" + st_.tokens[user];
  if (!ec) co_await ws->async_handshake(opt_.socket.host + ":" + std::to_string(opt_.socket.port), target, no_throw(ec));
  if (ec) {
    ++sockets_failed_;
    log("socket of " + st_.users[user] + " failed: " + ec.message());
    co_return;
  }
  tcp_layer.expires_never();
  ws->set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
  ++sockets_open_;
  beast::flat_buffer buf;
  for (;;) {
    co_await ws->async_read(buf, no_throw(ec));
    if (ec) break;
    const auto data = beast::buffers_to_string(buf.data());
    buf.consume(buf.size());
    st_.on_message(user, slot, data, st_.now());
  }
}

awaitable<void> engine::lane(bool paced, double t0, double interval) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  beast::flat_buffer buf;
  bool connected = false;
  const std::string host = opt_.http.host + ":" + std::to_string(opt_.http.port);
  for (;;) {
    const long i = st_.ph_next++;
    if (i >= st_.ph_to) break;
    if (paced) {
      const double wait = t0 + static_cast<double>(i - st_.ph_from) * interval - st_.now();
      if (wait > 1) co_await sleep_ms(wait);
    }
    beast::error_code ec;
    if (!connected) {
      stream.expires_after(std::chrono::seconds(10));
      co_await stream.async_connect(endpoint_of(opt_.http), no_throw(ec));
      if (!ec) stream.socket().set_option(tcp::no_delay(true));
      connected = !ec;
    }
    http::request<http::string_body> req{http::verb::post, "/api/v1/items", 11};
    req.set(http::field::host, host);
    req.set(http::field::content_type, "application/json");
    if (opt_.api == api_kind::pipewright) req.set(http::field::authorization, "Bearer " + st_.tokens[st_.owner[i]]);
    req.keep_alive(true);
    req.body() = st_.bodies[i];
    req.prepare_payload();
    st_.sent[i] = st_.now();
    http::response<http::string_body> res;
    if (connected) {
      stream.expires_after(std::chrono::seconds(60));
      co_await http::async_write(stream, req, no_throw(ec));
      if (!ec) co_await http::async_read(stream, buf, res, no_throw(ec));
    }
    const double t = st_.now();
    if (!connected || ec) {
      st_.post_failed("error", ec ? ec.message() : "connect failed");
      beast::error_code ignored;
      stream.socket().close(ignored);
      buf.clear();
      connected = false;
      continue;
    }
    st_.post_answered(i, res.result_int(), res.body(), t);
    if (!res.keep_alive()) {
      beast::error_code ignored;
      stream.socket().close(ignored);
      connected = false;
    }
  }
  --lanes_running_;
}

awaitable<std::string> engine::run_phase(long from, long to, bool paced, double deadline) {
  st_.begin_phase(from, to);
  lanes_running_ = opt_.c;
  const double t0 = st_.now();
  const double interval = opt_.rate > 0 ? 1000.0 / opt_.rate : 0;
  auto ex = co_await asio::this_coro::executor;
  for (int k = 0; k < opt_.c; ++k) asio::co_spawn(ex, lane(paced, t0, interval), asio::detached);
  double next_log = st_.now() + 5000;
  for (;;) {
    if (lanes_running_ == 0 && st_.phase_complete()) co_return "done";
    if (st_.now() > deadline) co_return "timeout";
    if (st_.now() > next_log) {
      next_log += 5000;
      log("completed " + std::to_string(st_.fully_done) + "/" + std::to_string(opt_.n) + " posted " +
          std::to_string(st_.ph_next - from) + "/" + std::to_string(to - from));
    }
    co_await sleep_ms(1);
  }
}

awaitable<void> engine::verify_sample() {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  beast::error_code ec;
  co_await stream.async_connect(endpoint_of(opt_.http), no_throw(ec));
  beast::flat_buffer buf;
  const std::string host = opt_.http.host + ":" + std::to_string(opt_.http.port);
  auto get = [&](const std::string& path, int user) -> awaitable<std::pair<int, std::string>> {
    http::request<http::string_body> req{http::verb::get, path, 11};
    req.set(http::field::host, host);
    if (opt_.api == api_kind::pipewright) req.set(http::field::authorization, "Bearer " + st_.tokens[user]);
    req.keep_alive(true);
    beast::error_code e;
    co_await http::async_write(stream, req, no_throw(e));
    http::response<http::string_body> res;
    if (!e) co_await http::async_read(stream, buf, res, no_throw(e));
    co_return e ? std::pair{0, std::string()} : std::pair{static_cast<int>(res.result_int()), res.body()};
  };
  for (const auto& [id, idx] : st_.verify_sample(opt_.verify)) {
    auto [status, body] = co_await get("/api/v1/items/" + id, st_.owner[idx]);
    st_.verify_answer(id, idx, status, body);
  }
  const std::string missing = opt_.api == api_kind::anchor ? "/api/v1/items/does-not-exist-404"
                                                           : "/api/v1/items/01ARZ3NDEKTSV4RRFFQ69G5FAV";
  st_.not_found_status = (co_await get(missing, 0)).first;
}

awaitable<void> engine::main() {
  auto ex = co_await asio::this_coro::executor;
  const int total_sockets = opt_.post_only ? 0 : opt_.users * opt_.sockets_per_user;
  log("opening " + std::to_string(total_sockets) + " websockets to " + opt_.ws);
  for (int u = 0; u < opt_.users && total_sockets > 0; ++u)
    for (int s = 0; s < opt_.sockets_per_user; ++s) {
      auto ws = std::make_shared<websocket::stream<beast::tcp_stream>>(ex);
      sockets_.push_back(ws);
      asio::co_spawn(ex, socket_reader(u, s, ws), asio::detached);
    }
  const double open_deadline = st_.now() + 30000;
  while (sockets_open_ + sockets_failed_ < total_sockets && st_.now() < open_deadline) co_await sleep_ms(2);
  const double deadline = st_.now() + opt_.timeout_s * 1000;
  if (sockets_open_ < total_sockets) {
    st_.outcome = "sockets_failed";
  } else {
    if (opt_.warmup > 0) {
      log("warming up with " + std::to_string(opt_.warmup) + " items");
      if (co_await run_phase(0, opt_.warmup, false, deadline) != "done") log("warmup did not finish");
      if (!opt_.post_only) co_await sleep_ms(1000);
    }
    log("posting " + std::to_string(opt_.n) + " items, " + std::to_string(opt_.c) + " in flight" +
        (opt_.rate > 0 ? ", paced at " + std::to_string(opt_.rate) + "/s" : "") + ", to " + opt_.base);
    st_.start_measuring();
    st_.outcome = co_await run_phase(opt_.warmup, opt_.warmup + opt_.n, opt_.rate > 0, deadline);
    st_.stop_measuring();
    log(st_.outcome + "; waiting " + std::to_string(static_cast<int>(opt_.grace_s * 1000)) +
        " ms grace for late or duplicate events");
    if (!opt_.post_only) {
      co_await sleep_ms(opt_.grace_s * 1000);
      co_await verify_sample();
    }
  }
  for (auto& ws : sockets_) {
    beast::error_code ignored;
    beast::get_lowest_layer(*ws).socket().close(ignored);
  }
  ioc_.stop();
}

}  // namespace

json::object run(const options& opt) {
  asio::io_context ioc(1);
  engine e(opt, ioc);
  asio::co_spawn(ioc, e.main(), [](std::exception_ptr p) {
    if (p) std::rethrow_exception(p);
  });
  ioc.run();
  return e.state().report();
}

}  // namespace pwlg
