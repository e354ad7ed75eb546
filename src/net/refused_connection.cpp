// A connection over server.max_connections: answered 429 at once, without
// reading its request, then closed.
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "net/api.hpp"
#include "net/server_impl.hpp"

namespace pw::net {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// The refusal: so a flood of them holds nothing for long, the request is
// not read; the connection closes once the client has sent what it was
// sending (at most 2 s).
class refused_connection : public std::enable_shared_from_this<refused_connection> {
 public:
  explicit refused_connection(tcp::socket&& socket) : stream_(std::move(socket)) {}
  void run() {
    auto e = error_response(core::errc::rate_limited, "too many connections (server.max_connections); retry later");
    res_.result(static_cast<http::status>(e.status));
    res_.set(http::field::server, "pipewright");
    res_.set(http::field::content_type, e.content_type);
    for (auto& [k, v] : e.headers) res_.set(k, v);
    res_.body() = std::move(e.body);
    res_.keep_alive(false);
    res_.prepare_payload();
    stream_.expires_after(std::chrono::seconds(2));
    http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      self->drain();
    });
  }

 private:
  void drain() {
    stream_.async_read_some(asio::buffer(scratch_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      self->drain();
    });
  }
  void close() {
    beast::error_code ec;
    stream_.socket().close(ec);
  }
  beast::tcp_stream stream_;
  http::response<http::string_body> res_{http::status::too_many_requests, 11};
  char scratch_[4096];
};

}  // namespace

void refuse_connection(tcp::socket&& socket) { std::make_shared<refused_connection>(std::move(socket))->run(); }

}  // namespace pw::net
