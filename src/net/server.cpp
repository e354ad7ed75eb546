// The server's listener: binds, accepts (pausing when out of descriptors)
// and hands each connection to http_session.cpp; stop() closes everything.
#include "net/server.hpp"

#include <pthread.h>
#include <unistd.h>

#include <boost/beast/core/error.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "net/server_impl.hpp"

namespace pw::net {

namespace beast = boost::beast;

void server::impl::do_accept() {
  acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (stopped) return;
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      if (connections.load() >= cfg.server.max_connections) refuse_connection(std::move(socket));
      else serve_http(std::move(socket), *this);
    } else if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space || ec == asio::error::no_memory) {
      // Out of file descriptors (or memory): accepting again at once would
      // spin. Pause; the connections waiting in the backlog stay there.
      const auto now = std::chrono::steady_clock::now();
      if (now - last_accept_warning > std::chrono::seconds(10)) {
        last_accept_warning = now;
        spdlog::warn("event=http.accept_paused error=\"{}\" connections={} pause_ms=100", ec.message(), connections.load());
      }
      accept_pause.expires_after(std::chrono::milliseconds(100));
      accept_pause.async_wait([this](beast::error_code) {
        if (!stopped) do_accept();
      });
      return;
    } else if (ec != asio::error::operation_aborted) {
      spdlog::warn("event=http.accept_failed error=\"{}\"", ec.message());
    }
    do_accept();
  });
}

tcp::socket server::impl::to_ws_thread(tcp::socket&& socket) {
  if (cfg.server.ws_threads == 0) return std::move(socket);  // they share the HTTP threads
  beast::error_code ec;
  const auto protocol = socket.local_endpoint(ec).protocol();
  if (ec) return std::move(socket);
  const auto fd = socket.release(ec);
  if (ec) return std::move(socket);
  tcp::socket moved(asio::make_strand(ws_ioc));
  moved.assign(protocol, fd, ec);
  if (ec) ::close(fd);
  return moved;
}

server::server(const core::config& cfg, router& routes, authenticator& auth, actors::gateway& gate,
               const store::database& db, core::node_metrics* metrics)
    : impl_(std::make_unique<impl>(cfg, routes, auth, gate, db, metrics)) {}

server::~server() { stop(); }

void server::set_front(std::function<void(http_request&, responder)> front) { impl_->front = std::move(front); }

core::result<std::uint16_t> server::start() {
  auto& i = *impl_;
  beast::error_code ec;
  auto address = asio::ip::make_address(i.cfg.server.listen.host == "localhost" ? "127.0.0.1" : i.cfg.server.listen.host, ec);
  if (ec)
    return core::make_error(core::errc::validation_failed,
                            fmt::format("config: server.listen: '{}' is not an IP address", i.cfg.server.listen.host));
  tcp::endpoint ep(address, i.cfg.server.listen.port);
  i.acceptor.open(ep.protocol(), ec);
  if (!ec) i.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) i.acceptor.bind(ep, ec);
  if (!ec) i.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return core::make_error(core::errc::internal, fmt::format("cannot listen on {}:{}: {}", i.cfg.server.listen.host,
                                                              i.cfg.server.listen.port, ec.message()));
  const auto port = i.acceptor.local_endpoint().port();
  i.do_accept();
  for (std::uint32_t t = 0; t < i.cfg.server.io_threads; ++t) i.threads.emplace_back([&i] {
      pthread_setname_np(pthread_self(), "pw-http");
      i.ioc.run();
    });
  for (std::uint32_t t = 0; t < i.cfg.server.ws_threads; ++t) i.threads.emplace_back([&i] {
      pthread_setname_np(pthread_self(), "pw-ws");
      i.ws_ioc.run();
    });
  return port;
}

void server::stop() {
  auto& i = *impl_;
  if (i.stopped.exchange(true)) return;
  asio::post(i.acceptor.get_executor(), [&i] {
    beast::error_code ec;
    i.acceptor.close(ec);
    i.accept_pause.cancel();
  });
  i.sockets.shutdown_all();
  i.sio.shutdown_all();
  // Give close frames a moment to leave, then stop everything.
  for (int k = 0; k < 20 && i.sockets.size() > 0; ++k) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  i.ioc.stop();
  i.ws_work.reset();
  i.ws_ioc.stop();
  for (auto& t : i.threads)
    if (t.joinable()) t.join();
  i.threads.clear();
}

std::size_t server::connections() const noexcept { return impl_->connections.load(); }

}  // namespace pw::net
