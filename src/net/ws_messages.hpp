// What a WebSocket client may send on /api/v1/ws, apart from the protocol's
// own frames (docs/assets.md, "WebSocket client messages"): browsers, which
// cannot send protocol pings, send {"type":"ping"} (optionally with an "id",
// echoed) and get {"type":"pong"}; any other text is answered with an error
// frame, {"type":"error","code":"INVALID_MESSAGE" | "UNKNOWN_MESSAGE",...},
// and the socket stays open. And the per-socket limit on how many messages a
// client may send in a second (limits.ws_max_messages_per_s). Plain
// functions of the text and the clock, so a fuzz target can drive them
// (tests/fuzz/websocket.cpp).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace pw::net {

// The frame that answers one client message: a pong or an error.
std::string answer_client_message(std::string_view text);

// Counts a socket's messages in one-second windows.
class message_rate {
 public:
  explicit message_rate(double max_per_s) : max_per_s_(max_per_s) {}
  // False when this message is one too many for the current second.
  bool admit(std::chrono::steady_clock::time_point now) noexcept;

 private:
  double max_per_s_;
  std::chrono::steady_clock::time_point window_start_{};
  double count_ = 0;
};

}  // namespace pw::net
