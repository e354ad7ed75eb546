// HS256 tokens made with OpenSSL directly, so the load generator does not
// borrow the server's own token code.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <string>

#include "run.hpp"

namespace pwlg {

namespace {

std::string base64url(const unsigned char* data, std::size_t n) {
  static const char* abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < n; i += 3) {
    const unsigned v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    for (int s : {18, 12, 6, 0}) out += abc[(v >> s) & 63];
  }
  if (n - i == 1) {
    const unsigned v = data[i] << 16;
    out += abc[(v >> 18) & 63];
    out += abc[(v >> 12) & 63];
  } else if (n - i == 2) {
    const unsigned v = (data[i] << 16) | (data[i + 1] << 8);
    for (int s : {18, 12, 6}) out += abc[(v >> s) & 63];
  }
  return out;
}

std::string base64url(const std::string& s) {
  return base64url(reinterpret_cast<const unsigned char*>(s.data()), s.size());
}

}  // namespace

std::string make_jwt(const std::string& secret, const std::string& sub, long ttl_s) {
  const auto exp = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count() + ttl_s;
  const std::string head = base64url(R"({"alg":"HS256","typ":"JWT"})");
  const std::string body =
      base64url(R"({"sub":")" + sub + R"(","role":"user","workspaces":"*","exp":)" + std::to_string(exp) + "}");
  const std::string signing = head + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signing.data()), signing.size(), mac, &len);
  return signing + "." + base64url(mac, len);
}

}  // namespace pwlg
