#include "options.hpp"

#include <charconv>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>

namespace pwlg {

namespace {

const char* const usage =
    "pw-loadgen: drives Pipewright's API (--api pipewright) or the BullMQ anchor's contract (--api anchor)\n"
    "and checks exactly-once, owner-only delivery. Loopback targets only.\n\n"
    "  --api pipewright|anchor   (pipewright)\n"
    "  --base URL                http://127.0.0.1:8080 (anchor: http://127.0.0.1:3100)\n"
    "  --ws URL                  base with /api/v1/ws (anchor: /ws)\n"
    "  --n N                     measured items (20000)\n"
    "  --warmup N                items posted and awaited first, not measured (0)\n"
    "  --c N                     POSTs in flight (64)\n"
    "  --users N                 (100), --sockets-per-user N (1), --workspaces N (10)\n"
    "  --rate R                  items/s offered; 0 = as fast as answered, still <= c in flight (0)\n"
    "  --timeout S (300), --grace S (2), --verify N GETs sampled afterwards (200)\n"
    "  --pids name:pid,...       CPU seconds and peak RSS of those processes\n"
    "  --secret S                Pipewright's auth.jwt_secret (pipewright-bench-secret)\n"
    "  --prefix P                before user and workspace names (two runs on one server)\n"
    "  --post-only               post the items and stop: no sockets, no waiting for events\n"
    "  --out FILE, --label L, --quiet\n"
    "Prints one JSON report; exit 0 only when every check passed (2: a check failed, 3: non-loopback).\n";

// "http://127.0.0.1:8080/path" -> endpoint; false when malformed.
bool parse_url(const std::string& url, const char* scheme_a, const char* scheme_b, endpoint& out) {
  std::string rest;
  for (const char* s : {scheme_a, scheme_b})
    if (url.rfind(s, 0) == 0) rest = url.substr(std::strlen(s));
  if (rest.empty()) return false;
  auto slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  out.path = slash == std::string::npos ? "" : rest.substr(slash);
  auto colon = hostport.rfind(':');
  if (colon == std::string::npos) {
    out.host = hostport;
    out.port = 80;
    return !out.host.empty();
  }
  out.host = hostport.substr(0, colon);
  unsigned port = 0;
  auto p = hostport.substr(colon + 1);
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
  if (ec != std::errc() || ptr != p.data() + p.size() || port == 0 || port > 65535) return false;
  out.port = static_cast<std::uint16_t>(port);
  return !out.host.empty();
}

template <class T>
bool number(const std::string& s, T& out) {
  if constexpr (std::is_floating_point_v<T>) {
    char* end = nullptr;
    out = static_cast<T>(std::strtod(s.c_str(), &end));
    return end && *end == '\0' && !s.empty();
  } else {
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && ptr == s.data() + s.size();
  }
}

}  // namespace

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.rfind("127.", 0) == 0;
}

std::optional<options> parse_options(int argc, char** argv, int* exit_code) {
  options o;
  std::string api = "pipewright";
  *exit_code = 1;
  auto fail = [&](const std::string& what) -> std::optional<options> {
    std::fprintf(stderr, "pw-loadgen: %s (see --help)\n", what.c_str());
    return std::nullopt;
  };
  std::map<std::string, std::function<bool(const std::string&)>> takes = {
      {"api", [&](const std::string& v) { api = v; return v == "pipewright" || v == "anchor"; }},
      {"base", [&](const std::string& v) { o.base = v; return true; }},
      {"ws", [&](const std::string& v) { o.ws = v; return true; }},
      {"n", [&](const std::string& v) { return number(v, o.n) && o.n > 0; }},
      {"warmup", [&](const std::string& v) { return number(v, o.warmup) && o.warmup >= 0; }},
      {"c", [&](const std::string& v) { return number(v, o.c) && o.c > 0 && o.c <= 4096; }},
      {"users", [&](const std::string& v) { return number(v, o.users) && o.users > 0; }},
      {"sockets-per-user", [&](const std::string& v) { return number(v, o.sockets_per_user) && o.sockets_per_user > 0; }},
      {"workspaces", [&](const std::string& v) { return number(v, o.workspaces) && o.workspaces > 0; }},
      {"rate", [&](const std::string& v) { return number(v, o.rate) && o.rate >= 0; }},
      {"timeout", [&](const std::string& v) { return number(v, o.timeout_s) && o.timeout_s > 0; }},
      {"grace", [&](const std::string& v) { return number(v, o.grace_s) && o.grace_s >= 0; }},
      {"verify", [&](const std::string& v) { return number(v, o.verify) && o.verify >= 0; }},
      {"secret", [&](const std::string& v) { o.secret = v; return !v.empty(); }},
      {"out", [&](const std::string& v) { o.out = v; return true; }},
      {"label", [&](const std::string& v) { o.label = v; return true; }},
      {"prefix", [&](const std::string& v) { o.prefix = v; return true; }},
      {"pids", [&](const std::string& v) {
         for (std::size_t at = 0; at < v.size();) {
           auto end = v.find(',', at);
           if (end == std::string::npos) end = v.size();
           auto part = v.substr(at, end - at);
           at = end + 1;
           auto colon = part.find(':');
           watched_pid w;
           if (colon == std::string::npos || !number(part.substr(colon + 1), w.pid)) return false;
           w.name = part.substr(0, colon);
           o.pids.push_back(w);
         }
         return true;
       }},
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(usage, stdout);
      *exit_code = 0;
      return std::nullopt;
    }
    if (a == "--post-only") {
      o.post_only = true;
      continue;
    }
    if (a == "--quiet") {
      o.quiet = true;
      continue;
    }
    if (a.rfind("--", 0) != 0 || !takes.count(a.substr(2))) return fail("unknown option '" + a + "'");
    if (i + 1 >= argc) return fail("'" + a + "' needs a value");
    if (!takes[a.substr(2)](argv[++i])) return fail("bad value '" + std::string(argv[i]) + "' for " + a);
  }
  o.api = api == "anchor" ? api_kind::anchor : api_kind::pipewright;
  if (o.base.empty()) o.base = o.api == api_kind::anchor ? "http://127.0.0.1:3100" : "http://127.0.0.1:8080";
  if (!parse_url(o.base, "http://", "http://", o.http)) return fail("--base is not an http:// URL");
  if (o.ws.empty()) o.ws = "ws://" + o.base.substr(7) + (o.api == api_kind::anchor ? "/ws" : "/api/v1/ws");
  if (!parse_url(o.ws, "ws://", "ws://", o.socket)) return fail("--ws is not a ws:// URL");
  for (const auto* e : {&o.http, &o.socket})
    if (!is_loopback(e->host)) {
      std::fprintf(stderr, "pw-loadgen: refusing non-loopback target %s\n", e->host.c_str());
      *exit_code = 3;
      return std::nullopt;
    }
  return o;
}

}  // namespace pwlg
