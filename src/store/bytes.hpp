// Internal to src/store: the byte-level writer and reader every record codec
// uses. Varints, zigzag integers and length-prefixed strings; the reader
// checks every length and turns a short or malformed input into !ok(), never
// into a read past the end.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pw::store::bytes {

class writer {
 public:
  void u8(std::uint8_t v) { out.push_back(static_cast<char>(v)); }
  void varint(std::uint64_t v) {
    while (v >= 0x80) {
      out.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out.push_back(static_cast<char>(v));
  }
  void i64(std::int64_t v) { varint((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63)); }
  void str(std::string_view s) {
    varint(s.size());
    out.append(s);
  }
  std::string out;
};

class reader {
 public:
  explicit reader(std::string_view in) : in_(in) {}
  bool ok() const noexcept { return ok_; }
  bool done() const noexcept { return pos_ == in_.size(); }
  std::string_view rest() const noexcept { return in_.substr(pos_); }
  std::uint8_t u8() {
    if (pos_ >= in_.size()) return fail(), 0;
    return static_cast<std::uint8_t>(in_[pos_++]);
  }
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return fail(), 0;
      auto b = static_cast<std::uint8_t>(in_[pos_++]);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    return fail(), 0;
  }
  std::int64_t i64() {
    auto v = varint();
    return static_cast<std::int64_t>((v >> 1) ^ (~(v & 1) + 1));
  }
  std::string str() { return std::string(view()); }
  std::string_view view() {
    auto n = varint();
    if (!ok_ || n > in_.size() - pos_) return fail(), std::string_view();
    auto s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  // A count of items that each take at least one byte: more than the bytes
  // left means the input is corrupt.
  std::uint64_t count() {
    auto n = varint();
    if (n > in_.size() - pos_) return fail(), 0;
    return n;
  }

 private:
  void fail() noexcept {
    ok_ = false;
    pos_ = in_.size();
  }
  std::string_view in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

template <class Enum>
bool enum_in_range(std::uint8_t v, Enum last) noexcept {
  return v <= static_cast<std::uint8_t>(last);
}

}  // namespace pw::store::bytes
