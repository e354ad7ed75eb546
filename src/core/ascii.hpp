// ASCII case folding for protocol tokens, header names and config keys:
// locale-independent on purpose (std::tolower follows the C locale, and
// only ASCII letters are case-insensitive in HTTP, MIME and TOML keys).
#pragma once

#include <string>
#include <string_view>

namespace pw::core {

inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace pw::core
