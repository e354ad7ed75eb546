// Helpers for the fuzz targets: take the input apart without reading past it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pwfuzz {

class input {
 public:
  input(const std::uint8_t* data, std::size_t size) : rest_(reinterpret_cast<const char*>(data), size) {}
  bool empty() const noexcept { return rest_.empty(); }
  std::string_view rest() const noexcept { return rest_; }
  // One byte (0 when none is left).
  std::uint8_t byte() {
    if (rest_.empty()) return 0;
    auto b = static_cast<std::uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return b;
  }
  // Up to the next `sep` (or the end); the separator is consumed.
  std::string_view until(char sep) {
    auto at = rest_.find(sep);
    auto out = rest_.substr(0, at);
    rest_.remove_prefix(at == std::string_view::npos ? rest_.size() : at + 1);
    return out;
  }

 private:
  std::string_view rest_;
};

// A property a target checks: abort (a crash libFuzzer reports) when false.
#define PWFUZZ_CHECK(cond)                                                          \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      __builtin_printf("fuzz check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      __builtin_abort();                                                            \
    }                                                                               \
  } while (0)

}  // namespace pwfuzz
