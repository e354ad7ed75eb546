// The JWT parser and verifier (net/auth.cpp). Two kinds of input, chosen by
// the first byte: a raw token (header, payload and signature as sent), or a
// header and payload JSON that this target signs with the server's secret,
// so that the claims checks behind the signature are reached too. Any input
// must give a principal or a 401 with a message, never a crash.
#include <openssl/hmac.h>

#include <string>

#include "fuzz_input.hpp"
#include "net/auth.hpp"

namespace {

const std::string secret = "fuzz-secret-0123456789abcdef";

std::string b64url(std::string_view in) {
  static constexpr char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned bits = 0, acc = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += table[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += table[(acc << (6 - bits)) & 63];
  return out;
}

std::string signed_token(std::string_view header, std::string_view payload) {
  std::string msg = b64url(header) + "." + b64url(payload);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(msg.data()),
       msg.size(), mac, &len);
  return msg + "." + b64url(std::string_view(reinterpret_cast<const char*>(mac), len));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pwfuzz::input in(data, size);
  const auto mode = in.byte() % 4;
  pw::net::authenticator auth(secret);
  pw::core::result<pw::net::principal> r = pw::core::make_error(pw::core::errc::internal, "unset");
  switch (mode) {
    case 0: r = auth.verify(in.rest()); break;
    case 1: r = auth.from_header(in.rest()); break;
    case 2: r = auth.verify(signed_token(R"({"alg":"HS256","typ":"JWT"})", in.rest())); break;
    default: {
      auto header = in.until('\n');
      r = auth.verify(signed_token(header, in.rest()));
    }
  }
  if (r) {
    PWFUZZ_CHECK(!r->sub.empty() && r->sub.size() <= 128 && r->sub.front() != '@');
    // A verified token is cached: asking again gives the same principal.
    if (mode == 0) {
      auto again = auth.verify(in.rest());
      PWFUZZ_CHECK(again && again->sub == r->sub && again->admin == r->admin);
    }
  } else {
    PWFUZZ_CHECK(r.err().code == pw::core::errc::unauthorized && !r.err().message.empty());
  }
  return 0;
}
