#include "stages/asset/signed_url.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace pw::stages::asset {

namespace {

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string hex(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

}  // namespace

// A key of its own, so that an image signature can never pass for a token's.
url_signer::url_signer(std::string_view secret, std::chrono::milliseconds ttl)
    : key_(hmac_sha256(secret, "pipewright image urls v1")), ttl_(ttl) {}

void url_signer::set_base(std::string base) {
  std::lock_guard lock(mu_);
  while (!base.empty() && base.back() == '/') base.pop_back();
  base_ = std::move(base);
}

std::string url_signer::base() const {
  std::lock_guard lock(mu_);
  return base_;
}

std::string url_signer::image_path(std::string_view asset_id) {
  return fmt::format("/api/v1/assets/{}/image", asset_id);
}

std::string url_signer::sign(std::string_view asset_id, std::int64_t expires_ms) const {
  return hex(hmac_sha256(key_, fmt::format("GET {}\n{}", image_path(asset_id), expires_ms)));
}

std::string url_signer::signature_query(std::string_view asset_id, std::int64_t expires_ms) const {
  return fmt::format("expires={}&sig={}", expires_ms, sign(asset_id, expires_ms));
}

std::string url_signer::image_url(std::string_view asset_id, std::int64_t now_ms) const {
  return fmt::format("{}{}?{}", base(), image_path(asset_id), signature_query(asset_id, now_ms + ttl_.count()));
}

bool url_signer::verify(std::string_view asset_id, std::string_view expires, std::string_view sig, std::int64_t now_ms) const {
  if (expires.empty() || expires.size() > 16 || sig.size() != 64) return false;
  std::int64_t e = 0;
  for (char c : expires) {
    if (c < '0' || c > '9') return false;
    e = e * 10 + (c - '0');
  }
  if (e < now_ms) return false;
  const auto want = sign(asset_id, e);
  return CRYPTO_memcmp(want.data(), sig.data(), want.size()) == 0;
}

}  // namespace pw::stages::asset
