// The connections the server accepts: HTTP/1.1 requests read with limits
// (header size and time, body size per route), routed, answered in order;
// upgrades to a WebSocket (/api/v1/ws) or Socket.IO (/socket.io/). The
// refusal of a connection over server.max_connections is refused_connection.cpp.
#include <optional>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "net/api.hpp"
#include "net/multipart.hpp"
#include "net/server_impl.hpp"

namespace pw::net {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr std::size_t header_limit = 16 * 1024;
constexpr auto idle_keep_alive = std::chrono::seconds(120);  // a connection with no request in progress

// A place among server.max_connections: held by an HTTP connection and,
// after an upgrade, by its WebSocket.
class connection_slot {
 public:
  explicit connection_slot(std::atomic<std::size_t>& n) : n_(n) { ++n_; }
  ~connection_slot() { --n_; }
  connection_slot(const connection_slot&) = delete;
  connection_slot& operator=(const connection_slot&) = delete;

 private:
  std::atomic<std::size_t>& n_;
};

class http_session : public std::enable_shared_from_this<http_session> {
 public:
  http_session(tcp::socket&& socket, server::impl& srv)
      : stream_(std::move(socket)), srv_(srv), slot_(std::make_shared<connection_slot>(srv.connections)) {
    if (srv_.metrics) srv_.metrics->http_connection(1);
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string();
  }
  ~http_session() {
    if (srv_.metrics) srv_.metrics->http_connection(-1);
  }

  void run() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_header(); });
  }

 private:
  // Slow clients: a keep-alive connection may stay idle a while, but once a
  // request begins its headers must arrive within limits.header_timeout_ms
  // (a client that sends them a byte at a time cannot hold a connection).
  void read_header() {
    parser_.emplace();
    parser_->header_limit(header_limit);
    // Checked against Content-Length when the header is read: a streamed
    // route's limit (limits.max_import_bytes) is the larger; other routes
    // get theirs back in on_header.
    parser_->body_limit(std::max(srv_.cfg.limits.max_body_bytes, srv_.cfg.limits.max_import_bytes));
    if (buffer_.size() > 0) return read_rest_of_header();  // pipelined: the next request is here
    stream_.expires_after(idle_keep_alive);
    stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      if (ec) return self->on_header(ec);
      self->buffer_.commit(n);
      self->read_rest_of_header();
    });
  }

  void read_rest_of_header() {
    stream_.expires_after(srv_.cfg.limits.header_timeout);
    http::async_read_header(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_header(ec);
    });
  }

  void on_header(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset || ec == asio::error::eof)
      return close();
    if (ec == http::error::body_limit) return refuse_body_limit();
    if (ec == http::error::header_limit)
      return reply_and_close(error_response(
          core::errc::headers_too_large, fmt::format("the request line and headers are over {} bytes", header_limit)));
    if (ec) return reply_and_close(error_response(core::errc::validation_failed, "malformed HTTP request: " + ec.message()));
    auto& req = parser_->get();
    if (is_upload(req)) return start_upload();
    if (!beast::websocket::is_upgrade(req)) {
      http_request probe;
      probe.method = std::string(req.method_string());
      if (parse_target(req.target(), probe.path, probe.query))
        if (auto* route = srv_.routes.find_stream(probe)) return start_stream(*route, std::move(probe));
    }
    if (auto len = parser_->content_length(); len && *len > srv_.cfg.limits.max_body_bytes) return refuse_body_limit();
    parser_->body_limit(srv_.cfg.limits.max_body_bytes);
    auto expect = req[http::field::expect];
    if (beast::iequals(expect, "100-continue") && !parser_->is_done())
      return continue_then(req.version(), [](http_session& s) { s.read_body(); });
    read_body();
  }

  void read_body() {
    stream_.expires_after(std::chrono::seconds(60));
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_request(ec);
    });
  }

  // A streamed route (router::add_stream): the body goes to its sink piece
  // by piece, the next piece read only when the sink asks for it.
  void start_stream(const stream_route& route, http_request r) {
    auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    r.authorization = std::string(req[http::field::authorization]);
    r.content_type = std::string(req[http::field::content_type]);
    r.idempotency_key = std::string(req["Idempotency-Key"]);
    r.request_id = std::to_string(++srv_.request_counter);
    if (auto len = parser_->content_length(); len && *len > route.max_body_bytes)
      return reply_and_close(error_response(core::errc::payload_too_large,
                                            fmt::format("the body is larger than {} bytes", route.max_body_bytes)));
    // A refusal before the body is read: answered, and the connection closed
    // (the unread body cannot be skipped).
    auto self = shared_from_this();
    sink_ = srv_.routes.open_stream(route, r, [self](http_response resp) {
      asio::post(self->stream_.get_executor(), [self, resp = std::move(resp)]() mutable { self->reply_and_close(std::move(resp)); });
    });
    if (!sink_) return;
    const bool expect = beast::iequals(req[http::field::expect], "100-continue");
    stream_parser_.emplace(std::move(*parser_));
    parser_.reset();
    stream_parser_->body_limit(route.max_body_bytes);
    piece_.resize(64 * 1024);
    if (expect && !stream_parser_->is_done()) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, version_);
      http::async_write(stream_, *cont, [self, cont](beast::error_code ec, std::size_t) {
        if (ec) return self->abort_stream(ec.message());
        self->read_piece();
      });
      return;
    }
    read_piece();
  }

  void read_piece() {
    auto& body = stream_parser_->get().body();
    body.data = piece_.data();
    body.size = piece_.size();
    stream_.expires_after(std::chrono::seconds(60));
    http::async_read(stream_, buffer_, *stream_parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_piece(ec); });
  }

  void on_piece(beast::error_code ec) {
    if (ec == http::error::need_buffer) ec = {};
    if (ec == http::error::body_limit) {
      abort_stream("the body is over the limit");
      return refuse_body_limit();
    }
    if (ec) return abort_stream(ec.message());
    const auto n = piece_.size() - stream_parser_->get().body().size;
    const bool done = stream_parser_->is_done();
    auto self = shared_from_this();
    sink_->data(std::string_view(piece_.data(), n), [self, done] {
      asio::post(self->stream_.get_executor(), [self, done] {
        if (!self->sink_) return;
        if (done) self->finish_stream();
        else self->read_piece();
      });
    });
  }

  void finish_stream() {
    auto sink = std::move(sink_);
    stream_parser_.reset();
    stream_.expires_never();
    sink->end([self = shared_from_this()](http_response resp) {
      asio::post(self->stream_.get_executor(), [self, resp = std::move(resp)]() mutable { self->reply(std::move(resp)); });
    });
  }

  // A multipart/form-data POST to an upload path: its body streams through
  // the multipart parser chunk by chunk (net/multipart.hpp).
  bool is_upload(const http::request<http::string_body>& req) const {
    if (req.method() != http::verb::post || !multipart_parser::is_form_data(req[http::field::content_type])) return false;
    std::string path;
    std::map<std::string, std::string, std::less<>> query;
    return parse_target(req.target(), path, query) && is_form_upload_path(path);
  }

  // Refuses before reading the body what can be refused from the header:
  // no token (401), a declared length over the limit (413), no boundary.
  void start_upload() {
    auto& req = parser_->get();
    const auto limit = max_upload_body(srv_.cfg);
    if (auto who = srv_.auth.from_header(req[http::field::authorization], remote_); !who) return reply_and_close(refusal(srv_.auth, who.err()));
    if (auto len = parser_->content_length(); len && *len > limit) return refuse_upload_limit();
    auto boundary = multipart_parser::boundary_of(req[http::field::content_type]);
    if (!boundary)
      return reply_and_close(error_response(core::errc::validation_failed,
                                            "the multipart/form-data Content-Type has no boundary (1 to 70 characters)"));
    form_limits limits;
    limits.max_file_bytes = srv_.cfg.assets.max_image_bytes;
    form_ = std::make_unique<multipart_parser>(std::move(*boundary), limits);
    upload_.emplace(std::move(*parser_));
    parser_.reset();
    upload_->body_limit(limit);
    chunk_.resize(64 * 1024);
    if (beast::iequals(upload_->get()[http::field::expect], "100-continue") && !upload_->is_done())
      return continue_then(upload_->get().version(), [](http_session& s) { s.read_upload(); });
    read_upload();
  }

  // Answers "100 Continue" (curl and others wait for it before sending a
  // body over 1 KiB), then reads on with `next`.
  template <class Next>
  void continue_then(unsigned version, Next next) {
    auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, version);
    http::async_write(stream_, *cont, [self = shared_from_this(), cont, next](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      next(*self);
    });
  }

  void read_upload() {
    stream_.expires_after(std::chrono::seconds(60));
    auto& body = upload_->get().body();
    body.data = chunk_.data();
    body.size = chunk_.size();
    http::async_read_some(stream_, buffer_, *upload_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_upload_chunk(ec);
    });
  }

  void on_upload_chunk(beast::error_code ec) {
    auto& body = upload_->get().body();
    const auto got = chunk_.size() - body.size;
    if (ec == http::error::need_buffer) ec = {};
    if (ec == http::error::body_limit) return refuse_upload_limit();
    if (ec == beast::error::timeout || ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
        ec == asio::error::eof || ec == http::error::partial_message)
      return close();
    if (ec) return reply_and_close(error_response(core::errc::validation_failed, "malformed HTTP request: " + ec.message()));
    // A part over its limit stops the upload here; the rest is never read.
    if (!form_->feed(std::string_view(chunk_.data(), got))) return reply_and_close(error_response(form_->error()));
    if (!upload_->is_done()) return read_upload();
    if (!form_->finish()) return reply(error_response(form_->error()));
    stream_.expires_never();
    auto req = upload_->release();
    upload_.reset();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    http_request r;
    r.method = std::string(req.method_string());
    if (!parse_target(req.target(), r.path, r.query))
      return reply(error_response(core::errc::validation_failed, "the request target is not valid percent-encoding"));
    r.authorization = std::string(req[http::field::authorization]);
    r.content_type = std::string(req[http::field::content_type]);
    r.idempotency_key = std::string(req["Idempotency-Key"]);
    r.form = std::make_shared<form_data>(form_->take());
    form_.reset();
    r.request_id = std::to_string(++srv_.request_counter);
    srv_.routes.dispatch(r, [self = shared_from_this()](http_response resp) {
      asio::post(self->stream_.get_executor(), [self, resp = std::move(resp)]() mutable { self->reply(std::move(resp)); });
    });
  }

  void abort_stream(const std::string& why) {
    if (auto sink = std::move(sink_)) sink->abort(why);
    stream_parser_.reset();
    close();
  }

  void refuse_upload_limit() {
    reply_and_close(error_response(core::errc::payload_too_large,
                                   fmt::format("the upload is larger than {} bytes (an image of at most {} bytes, "
                                               "assets.max_image_bytes, and its form)",
                                               max_upload_body(srv_.cfg), srv_.cfg.assets.max_image_bytes)));
  }

  void refuse_body_limit() {
    reply_and_close(error_response(core::errc::payload_too_large,
                                   fmt::format("the body is larger than {} bytes (limits.max_body_bytes)",
                                               srv_.cfg.limits.max_body_bytes)));
  }

  void on_request(beast::error_code ec) {
    if (ec == http::error::body_limit) return refuse_body_limit();
    if (ec == beast::error::timeout || ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
        ec == asio::error::eof)
      return close();
    if (ec) return reply_and_close(error_response(core::errc::validation_failed, "malformed HTTP request: " + ec.message()));
    stream_.expires_never();
    auto req = parser_->release();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    if (beast::websocket::is_upgrade(req)) return upgrade(std::move(req));

    http_request r;
    r.method = std::string(req.method_string());
    if (!parse_target(req.target(), r.path, r.query))
      return reply(error_response(core::errc::validation_failed, "the request target is not valid percent-encoding"));
    r.authorization = std::string(req[http::field::authorization]);
    r.content_type = std::string(req[http::field::content_type]);
    r.idempotency_key = std::string(req["Idempotency-Key"]);
    r.body = std::move(req.body());
    r.request_id = std::to_string(++srv_.request_counter);
    r.remote = remote_;
    auto done = [self = shared_from_this()](http_response resp) {
      asio::post(self->stream_.get_executor(), [self, resp = std::move(resp)]() mutable { self->reply(std::move(resp)); });
    };
    if (sio_server::handles(r.path)) return srv_.sio.handle_http(r, std::move(done));
    if (srv_.front) srv_.front(r, std::move(done));
    else srv_.routes.dispatch(r, std::move(done));
  }

  void upgrade(http::request<http::string_body>&& req) {
    std::string path;
    std::map<std::string, std::string, std::less<>> query;
    if (parse_target(req.target(), path, query) && sio_server::handles(path))
      return srv_.sio.accept_websocket(stream_.release_socket(), std::move(req), query);
    if (path != "/api/v1/ws")
      return reply(error_response(core::errc::not_found, "WebSocket endpoints are /api/v1/ws and /socket.io/"));
    auto token = query.find("token");
    auto who = token != query.end() ? srv_.auth.verify(token->second, remote_)
                                    : srv_.auth.from_header(req[http::field::authorization], remote_);
    if (!who) return reply(refusal(srv_.auth, who.err()));
    auto opts = ws_options_for(srv_.cfg.limits, srv_.metrics, query, who->admin);
    if (!opts) return reply(error_response(opts.err()));
    auto socket = srv_.to_ws_thread(stream_.release_socket());
    auto ws = std::make_shared<ws_session>(std::move(socket), std::move(who).value(), std::move(opts).value(), srv_.gate,
                                           srv_.db, srv_.sockets, slot_);
    ws->run(std::move(req));
  }

  void reply(http_response resp) { write(std::move(resp), !keep_alive_); }
  void reply_and_close(http_response resp) { write(std::move(resp), true); }

  void write(http_response resp, bool then_close) {
    if (resp.hold.count() > 0) {
      // Nothing else is read from this connection meanwhile.
      auto timer = std::make_shared<asio::steady_timer>(stream_.get_executor(), resp.hold);
      resp.hold = {};
      return timer->async_wait([self = shared_from_this(), timer, resp = std::move(resp), then_close](beast::error_code) mutable {
        self->write(std::move(resp), then_close);
      });
    }
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(resp.status), version_ ? version_ : 11);
    res->set(http::field::server, "pipewright");
    res->set(http::field::content_type, resp.content_type);
    for (auto& [k, v] : resp.headers) res->set(k, v);
    res->body() = std::move(resp.body);
    res->keep_alive(!then_close);
    res->prepare_payload();
    if (resp.status == 500) spdlog::error("event=http.internal_error body={}", res->body());
    http::async_write(stream_, *res, [self = shared_from_this(), res, then_close](beast::error_code ec, std::size_t) {
      if (ec || then_close) return self->close();
      self->read_header();
    });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::request_parser<http::buffer_body>> stream_parser_;  // a streamed route's body
  std::shared_ptr<body_sink> sink_;
  std::vector<char> piece_;
  // An upload in progress: the parser reading its body in chunks, the form.
  std::optional<http::request_parser<http::buffer_body>> upload_;
  std::unique_ptr<multipart_parser> form_;
  std::vector<char> chunk_;
  server::impl& srv_;
  std::shared_ptr<connection_slot> slot_;
  std::string remote_;
  bool keep_alive_ = true;
  unsigned version_ = 11;
};
}  // namespace

void serve_http(tcp::socket&& socket, server::impl& srv) { std::make_shared<http_session>(std::move(socket), srv)->run(); }

}  // namespace pw::net
