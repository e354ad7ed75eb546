// WebSocket frames and client messages on /api/v1/ws: Beast's server side
// of the protocol, configured as the server configures it (message size
// limit), over an in-memory stream, then the server's own handling of each
// message (net/ws_messages: the answer to each message, the per-second message limit).
// The first byte picks the handshake: a fixed valid upgrade, or the input's
// own request (up to the blank line) parsed with the server's header limit.
// Any bytes must end in a message, a close or an error, never a crash.
#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <chrono>
#include <string>

#include "core/config.hpp"
#include "fuzz_input.hpp"
#include "net/ws_messages.hpp"

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

namespace {

constexpr std::string_view valid_upgrade =
    "GET /api/v1/ws?token=x HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const pw::core::limits_config limits{};
  pwfuzz::input in(data, size);
  const bool own_handshake = in.byte() & 1;
  std::string_view request = valid_upgrade;
  if (own_handshake) {
    auto rest = in.rest();
    auto end = rest.find("\r\n\r\n");
    if (end == std::string_view::npos) return 0;
    request = rest.substr(0, end + 4);
    in = pwfuzz::input(data + 1 + end + 4, size - 1 - end - 4);
  }

  boost::asio::io_context ioc;
  // The request alone first, on a stream of its own that ends after it: a
  // client sends frames only after the 101, and a request the parser finds
  // unfinished must end the read, not wait for bytes that never come (the
  // first 60-second run timed out here).
  beast::test::stream hconn(ioc), hpeer(ioc);
  hconn.connect(hpeer);
  hconn.append(request);
  hconn.close_remote();
  beast::test::stream conn(ioc), peer(ioc);
  conn.connect(peer);
  beast::flat_buffer buffer;
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);  // = server.cpp
  parser.body_limit(limits.max_body_bytes);
  beast::error_code ec;
  http::read_header(hconn, buffer, parser, ec);
  if (ec || buffer.size() != 0 || !websocket::is_upgrade(parser.get())) return 0;
  conn.append(in.rest());
  conn.close_remote();

  websocket::stream<beast::test::stream&> ws(conn);
  ws.read_message_max(limits.ws_max_frame_bytes);
  ws.accept(parser.release(), ec);
  if (ec) return 0;
  pw::net::message_rate rate(limits.ws_max_messages_per_s);
  auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  for (int messages = 0; messages < 1000; ++messages) {
    beast::flat_buffer msg;
    ws.read(msg, ec);
    if (ec) break;
    PWFUZZ_CHECK(msg.size() <= limits.ws_max_frame_bytes);
    std::string_view text(static_cast<const char*>(msg.cdata().data()), msg.size());
    now += std::chrono::milliseconds(7);
    if (!rate.admit(now)) {
      ws.close(websocket::close_code::policy_error, ec);
      break;
    }
    // Every message is answered (a pong or an error frame), always one JSON object.
    const auto answer = pw::net::answer_client_message(text);
    PWFUZZ_CHECK(answer.size() > 2 && answer.front() == '{' && answer.back() == '}');
    ws.text(true);
    ws.write(boost::asio::buffer(answer), ec);
    if (ec) break;
  }
  return 0;
}
