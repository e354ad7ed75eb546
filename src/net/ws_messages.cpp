#include "net/ws_messages.hpp"

namespace pw::net {

client_message classify_client_message(std::string_view text) noexcept {
  return text.find("\"ping\"") != std::string_view::npos ? client_message::ping : client_message::ignored;
}

bool message_rate::admit(std::chrono::steady_clock::time_point now) noexcept {
  if (now - window_start_ >= std::chrono::seconds(1)) {
    window_start_ = now;
    count_ = 0;
  }
  return ++count_ <= max_per_s_;
}

}  // namespace pw::net
