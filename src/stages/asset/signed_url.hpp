// Short-lived signed URLs for an asset's image, so that an external analysis
// worker can fetch it without the user's token:
//   <base>/api/v1/assets/<id>/image?expires=<unix ms>&sig=<hex HMAC-SHA256>
// The key is derived from the node's JWT secret; a URL is good for its
// asset only, until it expires.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

namespace pw::stages::asset {

class url_signer {
 public:
  url_signer(std::string_view secret, std::chrono::milliseconds ttl);

  // Where workers reach this node ("http://127.0.0.1:8080"); set once the
  // port is known. Thread-safe.
  void set_base(std::string base);
  std::string base() const;

  static std::string image_path(std::string_view asset_id);
  // The full signed URL, valid for the configured time from `now_ms`.
  std::string image_url(std::string_view asset_id, std::int64_t now_ms) const;
  // The query part only: "expires=...&sig=...".
  std::string signature_query(std::string_view asset_id, std::int64_t expires_ms) const;
  // True when `sig` signs (asset, expires) and `expires` is still ahead of `now_ms`.
  bool verify(std::string_view asset_id, std::string_view expires, std::string_view sig, std::int64_t now_ms) const;

 private:
  std::string sign(std::string_view asset_id, std::int64_t expires_ms) const;
  std::string key_;
  std::chrono::milliseconds ttl_;
  mutable std::mutex mu_;
  std::string base_;
};

}  // namespace pw::stages::asset
