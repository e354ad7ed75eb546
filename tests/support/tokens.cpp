#include "tokens.hpp"

#include <jwt/jwt.hpp>

namespace pwtest {

std::string make_token(const std::string& sub, std::vector<std::string> workspaces, const std::string& role,
                       std::chrono::seconds ttl, const std::string& secret) {
  jwt::jwt_object obj{jwt::params::algorithm("HS256"), jwt::params::secret(secret)};
  obj.add_claim("sub", sub);
  obj.add_claim("role", role);
  if (workspaces.size() == 1 && workspaces[0] == "*") obj.add_claim("workspaces", "*");
  else obj.payload().add_claim("workspaces", workspaces);
  obj.add_claim("exp", std::chrono::system_clock::now() + ttl);
  return obj.signature();
}

std::string base64url(const std::string& in) {
  static constexpr char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
    out += table[(v >> 6) & 63];
    out += table[v & 63];
  }
  if (i + 1 == in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
  } else if (i + 2 == in.size()) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
    out += table[(v >> 6) & 63];
  }
  return out;
}

std::string token_alg_none(const std::string& sub) {
  auto exp = std::chrono::duration_cast<std::chrono::seconds>(
                 (std::chrono::system_clock::now() + std::chrono::hours(1)).time_since_epoch())
                 .count();
  return base64url(R"({"alg":"none","typ":"JWT"})") + "." +
         base64url(R"({"sub":")" + sub + R"(","workspaces":"*","role":"admin","exp":)" + std::to_string(exp) + "}") + ".";
}

std::string token_bad_signature(const std::string& sub) {
  return make_token(sub, {"*"}, "user", std::chrono::hours(1), "another-secret-that-is-long-enough");
}

}  // namespace pwtest
