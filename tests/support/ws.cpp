#include "ws.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/parse.hpp>

namespace pwtest {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = boost::asio::ip::tcp;

struct ws_client::impl {
  boost::asio::io_context ioc;
  websocket::stream<tcp::socket> ws{ioc};
  mutable std::mutex mu;
  std::condition_variable cv;
  std::vector<boost::json::object> frames;
  std::vector<std::int64_t> received_ms;
  bool connected = false, closed = false;
  int handshake_status = 0;
  std::optional<int> close_code;
  std::atomic<bool> paused{false};
  std::thread reader;
  // A second descriptor of the socket, for drop(): shutting it down ends the
  // reader's blocking read without touching asio's socket object, which the
  // reader thread may be closing at that moment, and it stays open (no other
  // socket can get its number) until the client is gone.
  int shutdown_fd = -1;

  ~impl() {
    if (shutdown_fd >= 0) ::close(shutdown_fd);
  }

  void read_loop() {
    beast::flat_buffer buf;
    for (;;) {
      while (paused) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      beast::error_code ec;
      ws.read(buf, ec);
      if (ec) {
        std::lock_guard lock(mu);
        closed = true;
        // The server's close frame, also when the TCP teardown after it failed.
        if (ec == websocket::error::closed || ws.reason().code != websocket::close_code::none)
          close_code = static_cast<int>(ws.reason().code);
        cv.notify_all();
        return;
      }
      auto text = beast::buffers_to_string(buf.data());
      buf.consume(buf.size());
      boost::system::error_code jec;
      auto v = boost::json::parse(text, jec);
      const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
      std::lock_guard lock(mu);
      received_ms.push_back(now);
      if (!jec && v.is_object()) frames.push_back(std::move(v.as_object()));
      else frames.push_back(boost::json::object{{"type", "unparsable"}, {"raw", text}});
      cv.notify_all();
    }
  }
};

ws_client::ws_client(std::uint16_t port, const std::string& token, ws_options opts) : impl_(std::make_shared<impl>()) {
  auto& i = *impl_;
  beast::error_code ec;
  i.ws.next_layer().connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return;
  std::string target = "/api/v1/ws";
  std::string sep = "?";
  if (!opts.token_in_header) {
    target += sep + "token=" + token;
    sep = "&";
  }
  if (opts.since) {
    target += sep + "since=" + std::to_string(*opts.since);
    sep = "&";
  }
  if (!opts.extra_query.empty()) target += (sep == "?" ? "?" + opts.extra_query.substr(1) : opts.extra_query);
  if (opts.token_in_header)
    i.ws.set_option(websocket::stream_base::decorator(
        [token](websocket::request_type& req) { req.set(beast::http::field::authorization, "Bearer " + token); }));
  websocket::response_type res;
  i.ws.handshake(res, "127.0.0.1:" + std::to_string(port), target, ec);
  if (ec) {
    i.handshake_status = static_cast<int>(res.result_int());
    return;
  }
  i.connected = true;
  i.shutdown_fd = ::fcntl(i.ws.next_layer().native_handle(), F_DUPFD_CLOEXEC, 3);
  for (const auto& m : opts.send_first) {
    i.ws.text(!opts.send_first_binary);
    i.ws.write(boost::asio::buffer(m), ec);
    if (ec) break;
  }
  i.reader = std::thread([p = impl_] { p->read_loop(); });
}

ws_client::~ws_client() {
  drop();
  if (impl_->reader.joinable()) impl_->reader.join();
}

bool ws_client::connected() const { return impl_->connected; }
int ws_client::handshake_status() const { return impl_->handshake_status; }

std::vector<boost::json::object> ws_client::frames() const {
  std::lock_guard lock(impl_->mu);
  return impl_->frames;
}

std::vector<std::int64_t> ws_client::received_ms() const {
  std::lock_guard lock(impl_->mu);
  return impl_->received_ms;
}

std::size_t ws_client::count() const {
  std::lock_guard lock(impl_->mu);
  return impl_->frames.size();
}

bool ws_client::wait_for(const std::function<bool(const std::vector<boost::json::object>&)>& pred,
                         std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [&] { return pred(impl_->frames) || impl_->closed; }) &&
         pred(impl_->frames);
}

bool ws_client::closed() const {
  std::lock_guard lock(impl_->mu);
  return impl_->closed;
}

std::optional<int> ws_client::close_code() const {
  std::lock_guard lock(impl_->mu);
  return impl_->close_code;
}

// The reader thread may be blocked in a read on this socket (asio's socket
// object is not safe to use from two threads: TSan saw that).
void ws_client::drop() {
  impl_->paused = false;
  if (impl_->shutdown_fd >= 0) ::shutdown(impl_->shutdown_fd, SHUT_RDWR);
}

void ws_client::pause_reading(bool paused) { impl_->paused = paused; }

}  // namespace pwtest
