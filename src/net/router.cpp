#include "net/router.hpp"

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

router::router(authenticator& auth) : auth_(auth) {}

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

void router::dispatch(http_request& req, responder respond) const {
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
    auto who = auth_.from_header(req.authorization);
    if (!who) return respond(error_response(who.err()));
    if (c.r.needs == access::admin && !who->admin)
      return respond(error_response(core::errc::forbidden, "this route needs a token with role \"admin\""));
    return c.r.fn(req, &who.value(), std::move(respond));
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
  return out;
}

}  // namespace pw::net
