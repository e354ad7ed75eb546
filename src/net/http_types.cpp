#include "net/http_types.hpp"

#include "core/json.hpp"

namespace pw::net {

std::string_view http_request::param(std::string_view name) const {
  auto it = params.find(name);
  return it == params.end() ? std::string_view() : std::string_view(it->second);
}

std::optional<std::string_view> http_request::query_value(std::string_view name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return std::string_view(it->second);
}

http_response json_response(int status, std::string body) {
  http_response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

http_response error_response(const core::error& e) {
  std::string body = "{\"error\":{\"code\":\"";
  body += core::code_name(e.code);
  body += "\",\"message\":";
  core::append_json_string(body, e.message);
  if (!e.details_json.empty()) {
    body += ",\"details\":";
    body += e.details_json;
  }
  body += "}}";
  auto r = json_response(core::http_status(e.code), std::move(body));
  if (core::http_status(e.code) == 503 || core::http_status(e.code) == 429) r.headers.emplace_back("Retry-After", "1");
  return r;
}

http_response error_response(core::errc code, std::string message, std::string details_json) {
  return error_response(core::make_error(code, std::move(message), std::move(details_json)));
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool decode(std::string_view in, std::string& out, bool plus_is_space) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return true;
}

}  // namespace

bool parse_target(std::string_view target, std::string& path, std::map<std::string, std::string, std::less<>>& query) {
  auto q = target.find('?');
  if (!decode(target.substr(0, q), path, false)) return false;
  if (path.empty() || path.front() != '/') return false;
  if (q == std::string_view::npos) return true;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    auto pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    std::string k, v;
    if (!decode(pair.substr(0, eq), k, true)) return false;
    if (eq != std::string_view::npos && !decode(pair.substr(eq + 1), v, true)) return false;
    query.emplace(std::move(k), std::move(v));
  }
  return true;
}

}  // namespace pw::net
