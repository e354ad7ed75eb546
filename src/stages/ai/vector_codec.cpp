#include "stages/ai/vector_codec.hpp"

#include <array>
#include <bit>
#include <cmath>
#include <cstring>

namespace pw::stages::ai {

namespace {
constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int decode_char(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}
}  // namespace

std::string base64_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto b = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(in[k])); };
  for (; i + 3 <= in.size(); i += 3) {
    std::uint32_t v = (b(i) << 16) | (b(i + 1) << 8) | b(i + 2);
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    out.push_back(alphabet[v & 63]);
  }
  if (std::size_t rest = in.size() - i) {
    std::uint32_t v = b(i) << 16;
    if (rest == 2) v |= b(i + 1) << 8;
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(rest == 2 ? alphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (std::size_t i = 0; i < in.size(); i += 4) {
    int c[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      char ch = in[i + k];
      if (ch == '=' && i + 4 == in.size() && k >= 2) {
        c[k] = 0;
        ++pad;
      } else {
        if (pad) return std::nullopt;
        c[k] = decode_char(ch);
        if (c[k] < 0) return std::nullopt;
      }
    }
    std::uint32_t v = (static_cast<std::uint32_t>(c[0]) << 18) | (static_cast<std::uint32_t>(c[1]) << 12) |
                      (static_cast<std::uint32_t>(c[2]) << 6) | static_cast<std::uint32_t>(c[3]);
    out.push_back(static_cast<char>((v >> 16) & 0xFF));
    if (pad < 2) out.push_back(static_cast<char>((v >> 8) & 0xFF));
    if (pad < 1) out.push_back(static_cast<char>(v & 0xFF));
  }
  return out;
}

void append_floats(std::string& out, const float* v, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    std::uint32_t u;
    std::memcpy(&u, &v[i], 4);
    for (int k = 0; k < 4; ++k) out.push_back(static_cast<char>((u >> (8 * k)) & 0xFF));
  }
}

bool read_floats(std::string_view bytes, float* v, std::size_t n) {
  if (bytes.size() != n * 4) return false;
  for (std::size_t i = 0; i < n; ++i) {
    std::uint32_t u = 0;
    for (int k = 0; k < 4; ++k) u |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[4 * i + k])) << (8 * k);
    std::memcpy(&v[i], &u, 4);
  }
  return true;
}

std::string encode_vector(const std::vector<float>& v) {
  std::string raw;
  raw.reserve(v.size() * 4);
  append_floats(raw, v.data(), v.size());
  return base64_encode(raw);
}

std::optional<std::vector<float>> decode_vector(std::string_view text) {
  // Straight into the floats: 4 characters give 3 bytes.
  static const auto table = [] {
    std::array<std::int8_t, 256> t{};
    t.fill(-1);
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
    return t;
  }();
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::size_t pad = text.back() == '=' ? (text[text.size() - 2] == '=' ? 2 : 1) : 0;
  std::size_t bytes = text.size() / 4 * 3 - pad;
  if (bytes % 4 != 0) return std::nullopt;
  std::vector<float> v(bytes / 4);
  auto* out = reinterpret_cast<unsigned char*>(v.data());
  std::size_t o = 0;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    std::uint32_t acc = 0;
    for (int k = 0; k < 4; ++k) {
      char ch = text[i + k];
      int d = ch == '=' && i + 4 == text.size() && k >= 2 ? 0 : table[static_cast<unsigned char>(ch)];
      if (d < 0) return std::nullopt;
      acc = (acc << 6) | static_cast<std::uint32_t>(d);
    }
    for (int k = 2; k >= 0 && o < bytes; --k) out[o++] = static_cast<unsigned char>((acc >> (8 * k)) & 0xFF);
  }
  if constexpr (std::endian::native != std::endian::little) {
    for (auto& x : v) {
      std::uint32_t u;
      std::memcpy(&u, &x, 4);
      u = __builtin_bswap32(u);
      std::memcpy(&x, &u, 4);
    }
  }
  for (float x : v)
    if (!std::isfinite(x)) return std::nullopt;
  return v;
}

float dot(const float* a, const float* b, std::size_t n) noexcept {
  // Four partial sums let the compiler keep SIMD lanes busy.
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < n; ++i) s0 += a[i] * b[i];
  return (s0 + s1) + (s2 + s3);
}

void normalize(std::vector<float>& v) noexcept {
  float n = std::sqrt(dot(v.data(), v.data(), v.size()));
  if (n > 0)
    for (auto& x : v) x /= n;
}

}  // namespace pw::stages::ai
