#include "core/ids.hpp"

namespace pw::core {

namespace {
constexpr char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
}

id_generator::id_generator() : rng_(std::random_device{}()) {}

std::string id_generator::next(std::int64_t now_ms) { return make(now_ms, std::nullopt); }

std::string id_generator::next(std::int64_t now_ms, std::uint32_t slot) { return make(now_ms, slot & 0x3ffu); }

std::string id_generator::make(std::int64_t now_ms, std::optional<std::uint32_t> slot) {
  if (now_ms > last_ms_) {
    last_ms_ = now_ms;
    for (auto& b : last_random_) b = static_cast<std::uint8_t>(rng_());
  } else {
    // Same (or earlier) millisecond: increment the random part to stay ordered.
    for (int i = 9; i >= 0; --i)
      if (++last_random_[static_cast<std::size_t>(i)] != 0) break;
  }
  // 128 bits: 48 time bits then 80 random bits, emitted 5 bits at a time from the top
  // (the first character carries only 3 bits).
  std::array<std::uint8_t, 16> bytes{};
  auto t = static_cast<std::uint64_t>(last_ms_);
  for (int i = 5; i >= 0; --i) {
    bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(t & 0xff);
    t >>= 8;
  }
  for (std::size_t i = 0; i < 10; ++i) bytes[6 + i] = last_random_[i];
  if (slot) {
    // Bits 48..57: characters 10 and 11 of the id.
    bytes[6] = static_cast<std::uint8_t>(*slot >> 2);
    bytes[7] = static_cast<std::uint8_t>((bytes[7] & 0x3fu) | ((*slot & 3u) << 6));
  }
  std::string out(26, '0');
  for (int c = 0; c < 26; ++c) {
    // Character c covers bits [128 - 5*(26-c), ...) of a 130-bit big-endian number.
    int bit = c * 5 - 2;  // first bit index of this character within the 128 bits
    unsigned v = 0;
    for (int k = 0; k < 5; ++k, ++bit) {
      v <<= 1;
      if (bit >= 0) v |= (bytes[static_cast<std::size_t>(bit / 8)] >> (7 - bit % 8)) & 1u;
    }
    out[static_cast<std::size_t>(c)] = alphabet[v];
  }
  return out;
}

bool looks_like_id(std::string_view s) noexcept {
  if (s.size() != 26 || s[0] > '7') return false;
  for (char c : s) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z' && c != 'I' && c != 'L' && c != 'O' && c != 'U');
    if (!ok) return false;
  }
  return true;
}

}  // namespace pw::core
