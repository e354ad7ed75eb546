#include "net/ws_messages.hpp"

#include <boost/json/parse.hpp>

#include "core/json.hpp"

namespace pw::net {

namespace {

std::string error_frame(std::string_view code, const std::string& message) {
  std::string frame = "{\"type\":\"error\",\"code\":\"";
  frame += code;
  frame += "\",\"message\":";
  core::append_json_string(frame, message);
  frame += ",\"accepted\":[\"ping\"]}";
  return frame;
}

}  // namespace

std::string answer_client_message(std::string_view text) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec) return error_frame("INVALID_MESSAGE", "the message is not JSON (" + ec.message() + "); send {\"type\":\"ping\"}");
  const auto* o = v.if_object();
  const auto* type = o ? o->if_contains("type") : nullptr;
  if (!type || !type->is_string()) return error_frame("INVALID_MESSAGE", "a message is a JSON object with a string \"type\"");
  if (type->as_string() != "ping")
    return error_frame("UNKNOWN_MESSAGE",
                       "unknown message type \"" + std::string(std::string_view(type->as_string()).substr(0, 64)) + "\"");
  std::string pong = "{\"type\":\"pong\"";
  if (const auto* id = o->if_contains("id"); id && (id->is_string() || id->is_number())) {
    pong += ",\"id\":";
    core::append_json(pong, *id);
  }
  pong += '}';
  return pong;
}

bool message_rate::admit(std::chrono::steady_clock::time_point now) noexcept {
  if (now - window_start_ >= std::chrono::seconds(1)) {
    window_start_ = now;
    count_ = 0;
  }
  return ++count_ <= max_per_s_;
}

}  // namespace pw::net
