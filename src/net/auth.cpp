#include "net/auth.hpp"

#include <cctype>
#include <chrono>

#include <fmt/format.h>
#include <jwt/jwt.hpp>

namespace pw::net {

namespace {

constexpr std::size_t cache_limit = 100000;

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

core::error unauthorized(std::string msg) { return core::make_error(core::errc::unauthorized, std::move(msg)); }

bool valid_subject(const std::string& s) {
  if (s.empty() || s.size() > 128) return false;
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return false;
  return s.front() != '@';  // "@admins" and friends are rooms, not users
}

// cpp-jwt reads `exp`, `nbf` and `iat` as unsigned 64-bit integers: a
// number outside that range (4.1e32, -1) is undefined behaviour in its JSON
// conversion (found by the jwt fuzz target under UBSan). They are checked
// here first: absent, or a number of seconds from 0 to 2^53.
bool time_claims_in_range(const std::string& token) {
  const auto first = token.find('.');
  const auto second = first == std::string::npos ? std::string::npos : token.find('.', first + 1);
  if (second == std::string::npos) return true;  // cpp-jwt refuses its shape
  auto payload = jwt::base64_uri_decode(token.data() + first + 1, second - first - 1);
  auto claims = nlohmann::json::parse(payload, nullptr, false);
  if (!claims.is_object()) return true;  // cpp-jwt refuses it
  for (const char* name : {"exp", "nbf", "iat"}) {
    auto c = claims.find(name);
    if (c == claims.end()) continue;
    if (!c->is_number()) return false;
    const double v = c->get<double>();
    if (!(v >= 0 && v <= 9007199254740992.0)) return false;
  }
  return true;
}

}  // namespace

bool principal::may_use(std::string_view workspace) const {
  if (all_workspaces) return true;
  for (const auto& w : workspaces)
    if (w == workspace) return true;
  return false;
}

authenticator::authenticator(std::string secret, double failures_per_s, double failure_burst,
                             std::chrono::milliseconds refusal_delay)
    : secret_(std::move(secret)), failures_(failures_per_s, failure_burst), refusal_delay_(refusal_delay) {}

namespace {

std::string_view bearer_token(std::string_view header) {
  constexpr std::string_view scheme = "bearer ";
  if (header.size() <= scheme.size()) return {};
  for (std::size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(header[i])) != scheme[i]) return {};
  auto token = header.substr(scheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  return token;
}

}  // namespace

core::result<principal> authenticator::from_header(std::string_view header, const std::string& remote) {
  if (auto wait = failures_.peek(remote); wait && !cached(std::string(bearer_token(header))))
    return core::make_error(core::errc::rate_limited,
                            fmt::format("too many failed authentications from {} (limits.auth_failures_per_s); retry in {} s",
                                        remote, *wait));
  auto p = from_header(header);
  if (!p) (void)failures_.admit(remote);
  return p;
}

core::result<principal> authenticator::verify(std::string_view token, const std::string& remote) {
  if (auto wait = failures_.peek(remote); wait && !cached(std::string(token)))
    return core::make_error(core::errc::rate_limited,
                            fmt::format("too many failed authentications from {} (limits.auth_failures_per_s); retry in {} s",
                                        remote, *wait));
  auto p = verify(token);
  if (!p) (void)failures_.admit(remote);
  return p;
}

std::optional<principal> authenticator::cached(const std::string& token) {
  std::lock_guard lock(mu_);
  auto it = cache_.find(token);
  if (it == cache_.end() || (it->second.exp != 0 && it->second.exp <= now_s())) return std::nullopt;
  return it->second;
}

core::result<principal> authenticator::from_header(std::string_view header) {
  if (header.empty()) return unauthorized("missing Authorization header (expected: Bearer <token>)");
  constexpr std::string_view scheme = "bearer ";
  if (header.size() <= scheme.size()) return unauthorized("malformed Authorization header (expected: Bearer <token>)");
  for (std::size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(header[i])) != scheme[i])
      return unauthorized("unsupported Authorization scheme (expected: Bearer <token>)");
  auto token = header.substr(scheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  return verify(token);
}

core::result<principal> authenticator::verify(std::string_view token_view) {
  if (token_view.empty() || token_view.size() > 8192) return unauthorized("missing or oversized token");
  // A JWT is three base64url parts joined by dots. cpp-jwt's base64 decoder
  // indexes a 256-entry table with a signed char: a byte over 0x7f is read
  // from before the table (an assertion in its debug build, found by the
  // jwt fuzz target), so anything else is refused here first.
  for (unsigned char c : token_view)
    if (!(std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '=') || c > 0x7f)
      return unauthorized("malformed token: a JWT holds only base64url characters and dots");
  std::string token(token_view);
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(token);
    if (it != cache_.end()) {
      if (it->second.exp != 0 && it->second.exp <= now_s()) {
        cache_.erase(it);
        return unauthorized("token expired");
      }
      return it->second;
    }
  }
  auto p = decode(token);
  if (!p) return p;
  std::lock_guard lock(mu_);
  if (cache_.size() >= cache_limit) cache_.clear();
  cache_.emplace(std::move(token), p.value());
  return p;
}

core::result<principal> authenticator::decode(const std::string& token) const {
  try {
    if (!time_claims_in_range(token))
      return unauthorized("malformed token: `exp`, `nbf` and `iat` must be numbers of seconds from 0 to 2^53");
    std::error_code ec;
    auto obj = jwt::decode(token, jwt::params::algorithms({"HS256"}), ec, jwt::params::secret(secret_),
                           jwt::params::verify(true));
    if (ec) {
      if (ec == jwt::VerificationErrc::TokenExpired) return unauthorized("token expired");
      if (ec == jwt::VerificationErrc::InvalidSignature) return unauthorized("invalid token signature");
      if (ec == jwt::AlgorithmErrc::NoneAlgorithmUsed || ec == jwt::VerificationErrc::InvalidAlgorithm)
        return unauthorized("token algorithm not accepted (HS256 only)");
      return unauthorized("invalid token: " + ec.message());
    }
    if (obj.header().algo() != jwt::algorithm::HS256) return unauthorized("token algorithm not accepted (HS256 only)");
    auto claims = obj.payload().create_json_obj();
    principal p;
    auto sub = claims.find("sub");
    if (sub == claims.end() || !sub->is_string()) return unauthorized("token has no `sub` claim");
    p.sub = sub->get<std::string>();
    if (!valid_subject(p.sub)) return unauthorized("token `sub` must be 1-128 printable characters, not starting with '@'");
    auto role = claims.find("role");
    if (role != claims.end()) {
      if (!role->is_string()) return unauthorized("token `role` must be \"user\" or \"admin\"");
      auto r = role->get<std::string>();
      if (r == "admin") p.admin = true;
      else if (r != "user") return unauthorized("token `role` must be \"user\" or \"admin\"");
    }
    auto ws = claims.find("workspaces");
    if (ws != claims.end()) {
      if (ws->is_string() && ws->get<std::string>() == "*") {
        p.all_workspaces = true;
      } else if (ws->is_array()) {
        for (const auto& w : *ws) {
          if (!w.is_string()) return unauthorized("token `workspaces` must be a list of strings or \"*\"");
          if (w.get<std::string>() == "*") p.all_workspaces = true;
          else p.workspaces.push_back(w.get<std::string>());
        }
      } else {
        return unauthorized("token `workspaces` must be a list of strings or \"*\"");
      }
    }
    auto exp = claims.find("exp");
    if (exp != claims.end()) {
      if (!exp->is_number()) return unauthorized("token `exp` must be a number");
      p.exp = exp->get<std::int64_t>();
      if (p.exp <= now_s()) return unauthorized("token expired");
    }
    return p;
  } catch (const std::exception& e) {
    return unauthorized(std::string("invalid token: ") + e.what());
  }
}

std::string mint_token(const std::string& secret, const token_request& req) {
  jwt::jwt_object obj{jwt::params::algorithm("HS256"), jwt::params::secret(secret)};
  obj.add_claim("sub", req.sub);
  obj.add_claim("role", req.role);
  if (req.workspaces.size() == 1 && req.workspaces.front() == "*") obj.add_claim("workspaces", "*");
  else obj.payload().add_claim("workspaces", req.workspaces);
  obj.add_claim("iat", std::chrono::system_clock::now());
  obj.add_claim("exp", std::chrono::system_clock::now() + std::chrono::seconds(req.ttl_s));
  return obj.signature();
}

}  // namespace pw::net
