#include "core/url.hpp"

#include <cctype>

#include <fmt/format.h>

namespace pw::core {

std::string base_url::origin() const {
  const bool v6 = host.find(':') != std::string::npos;
  return fmt::format("{}://{}{}{}:{}", scheme, v6 ? "[" : "", host, v6 ? "]" : "", port);
}

result<base_url> parse_base_url(std::string_view text, std::string_view key) {
  auto bad = [&](std::string_view why) {
    return make_error(errc::validation_failed, fmt::format("config: {}: {} (got \"{}\")", key, why, text));
  };
  base_url u;
  std::string_view rest = text;
  if (rest.substr(0, 8) == "https://") {
    u.scheme = "https";
    u.port = 443;
    rest.remove_prefix(8);
  } else if (rest.substr(0, 7) == "http://") {
    u.scheme = "http";
    u.port = 80;
    rest.remove_prefix(7);
  } else {
    return bad("expected an http:// or https:// URL");
  }
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  if (authority.empty()) return bad("the URL has no host");
  if (authority.find('@') != std::string_view::npos) return bad("credentials do not belong in the URL; use the API key");
  std::string_view host = authority, port;
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return bad("unclosed '[' in the host");
    host = authority.substr(1, close - 1);
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("unexpected characters after the host");
      port = after.substr(1);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty()) return bad("empty port");
  }
  if (host.empty()) return bad("the URL has no host");
  for (char c : host)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == ':'))
      return bad("the host has characters a host name cannot have");
  if (!port.empty()) {
    if (port.size() > 5) return bad("the port is not a number from 1 to 65535");
    unsigned v = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return bad("the port is not a number from 1 to 65535");
      v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v == 0 || v > 65535) return bad("the port is not a number from 1 to 65535");
    u.port = static_cast<std::uint16_t>(v);
  }
  if (path.find_first_of("?#") != std::string_view::npos) return bad("a base URL has no query or fragment");
  for (char c : path)
    if (static_cast<unsigned char>(c) <= ' ' || static_cast<unsigned char>(c) >= 0x7f) return bad("the path has spaces or control characters");
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  u.host = std::string(host);
  u.path = std::string(path);
  return u;
}

}  // namespace pw::core
