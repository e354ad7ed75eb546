// A provider's base URL, split: "https://api.openai.com:443/v1" ->
// {https, api.openai.com, 443, "/v1"}. Plain data, validated once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace pw::core {

struct base_url {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets for IPv6
  std::uint16_t port = 0;
  std::string path;    // "" or "/v1" (no trailing slash)
  bool tls() const noexcept { return scheme == "https"; }
  // "https://host:port": what an HTTP client connects to.
  std::string origin() const;
};

// `key` names the config key in the error.
result<base_url> parse_base_url(std::string_view text, std::string_view key);

}  // namespace pw::core
