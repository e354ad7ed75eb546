#include "net/router.hpp"

#include <chrono>

namespace pw::net {

namespace {

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return out;
}

}  // namespace

router::router(authenticator& auth, core::node_metrics* metrics) : auth_(auth), metrics_(metrics) {}

void router::add(route r) {
  compiled c;
  for (auto s : split(r.pattern)) c.segments.emplace_back(s);
  c.r = std::move(r);
  routes_.push_back(std::move(c));
}

bool router::match(const compiled& c, const std::vector<std::string_view>& parts, http_request& req) {
  if (c.segments.size() != parts.size()) return false;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& seg = c.segments[i];
    if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') continue;
    if (seg != parts[i]) return false;
  }
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& seg = c.segments[i];
    if (seg.size() > 2 && seg.front() == '{') req.params[seg.substr(1, seg.size() - 2)] = std::string(parts[i]);
  }
  return true;
}

// The label of a request: its route's pattern, never the raw path (ids
// would make the label set unbounded), and a known method or "other".
std::pair<std::string, std::string> router::labels_of(const http_request& req) const {
  static constexpr std::string_view methods[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"};
  std::string method = "other";
  for (auto m : methods)
    if (req.method == m) method = std::string(m);
  auto parts = split(req.path);
  http_request probe;
  for (const auto& c : routes_)
    if (match(c, parts, probe)) return {method, c.r.pattern};
  return {method, "unmatched"};
}

void router::dispatch(http_request& req, responder respond) const {
  if (metrics_) {
    respond = [m = metrics_, labels = labels_of(req), t0 = std::chrono::steady_clock::now(),
               inner = std::move(respond)](http_response r) {
      m->http_request(labels.first, labels.second, r.status,
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      inner(std::move(r));
    };
  }
  auto parts = split(req.path);
  bool path_known = false;
  std::string allowed;
  for (const auto& c : routes_) {
    if (c.segments.size() != parts.size()) continue;
    http_request probe;
    if (!match(c, parts, probe)) continue;
    path_known = true;
    if (c.r.method != req.method) {
      allowed += (allowed.empty() ? "" : ", ") + c.r.method;
      continue;
    }
    match(c, parts, req);
    if (c.r.needs == access::open) return c.r.fn(req, nullptr, std::move(respond));
    if (c.r.needs == access::signed_url && req.authorization.empty()) return c.r.fn(req, nullptr, std::move(respond));
    auto who = auth_.from_header(req.authorization, req.remote);
    if (!who) return respond(refusal(auth_, who.err()));
    if (c.r.needs == access::admin && !who->admin)
      return respond(error_response(core::errc::forbidden, "this route needs a token with role \"admin\""));
    return c.r.fn(req, &who.value(), std::move(respond));
  }
  for (const auto& c : streams_) {
    compiled probe;
    probe.segments = c.segments;
    http_request scratch;
    if (c.segments.size() != parts.size() || !match(probe, parts, scratch)) continue;
    path_known = true;
    allowed += (allowed.empty() ? "" : ", ") + c.r.method;
  }
  if (path_known) {
    auto r = error_response(core::errc::method_not_allowed, req.method + " is not allowed here (allowed: " + allowed + ")");
    r.headers.emplace_back("Allow", allowed);
    return respond(std::move(r));
  }
  respond(error_response(core::errc::not_found, "no route " + req.method + " " + req.path));
}

std::vector<router::route_view> router::describe() const {
  std::vector<route_view> out;
  for (const auto& c : routes_) out.push_back({c.r.method, c.r.pattern, c.r.needs});
  for (const auto& c : streams_) out.push_back({c.r.method, c.r.pattern, c.r.needs});
  return out;
}

void router::add_stream(stream_route r) {
  compiled_stream c;
  for (auto s : split(r.pattern)) c.segments.emplace_back(s);
  c.r = std::move(r);
  streams_.push_back(std::move(c));
}

const stream_route* router::find_stream(const http_request& req) const {
  auto parts = split(req.path);
  for (const auto& c : streams_) {
    if (c.r.method != req.method || c.segments.size() != parts.size()) continue;
    compiled probe;
    probe.segments = c.segments;
    http_request scratch;
    if (match(probe, parts, scratch)) return &c.r;
  }
  return nullptr;
}

std::shared_ptr<body_sink> router::open_stream(const stream_route& r, http_request& req, const responder& respond) const {
  auto parts = split(req.path);
  compiled probe;
  for (auto s : split(r.pattern)) probe.segments.emplace_back(s);
  match(probe, parts, req);
  auto who = auth_.from_header(req.authorization);
  if (!who) {
    respond(error_response(who.err()));
    return nullptr;
  }
  if (r.needs == access::admin && !who->admin) {
    respond(error_response(core::errc::forbidden, "this route needs a token with role \"admin\""));
    return nullptr;
  }
  return r.fn(req, who.value(), respond);
}

http_response refusal(const authenticator& auth, const core::error& e) {
  auto r = error_response(e);
  if (e.code == core::errc::rate_limited) r.hold = auth.refusal_delay();
  return r;
}

}  // namespace pw::net
