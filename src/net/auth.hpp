// JWT authentication (DESIGN §5): HS256 tokens with claims sub, workspaces
// (a list, or "*"), role (user | admin) and exp. Verified tokens are cached
// by their text, so the signature is checked once per token, not per request.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"
#include "net/rate_limit.hpp"

namespace pw::net {

struct principal {
  std::string sub;
  bool admin = false;
  bool all_workspaces = false;
  std::vector<std::string> workspaces;
  std::int64_t exp = 0;  // seconds since the epoch; 0: none

  bool may_use(std::string_view workspace) const;
};

class authenticator {
 public:
  // Failed authentications are limited per client address: past
  // `failures_per_s` a second (after a burst), an address's requests are
  // refused with 429 before their token is checked, unless it is a token
  // already verified. 0: no limit. Such a refusal is to be sent
  // `refusal_delay` late (http_response::hold): a client that floods gets
  // one answer per connection and delay, and costs the node next to nothing.
  explicit authenticator(std::string secret, double failures_per_s = 0, double failure_burst = 1,
                         std::chrono::milliseconds refusal_delay = {});
  // `header` is an Authorization header value ("Bearer <token>").
  core::result<principal> from_header(std::string_view header);
  core::result<principal> verify(std::string_view token);
  // The same for a request from `remote` (an IP address), with the limit.
  core::result<principal> from_header(std::string_view header, const std::string& remote);
  core::result<principal> verify(std::string_view token, const std::string& remote);
  std::chrono::milliseconds refusal_delay() const noexcept { return refusal_delay_; }

 private:
  core::result<principal> decode(const std::string& token) const;
  std::optional<principal> cached(const std::string& token);
  std::string secret_;
  rate_limiter failures_;
  std::chrono::milliseconds refusal_delay_;
  std::mutex mu_;
  std::unordered_map<std::string, principal> cache_;
};

struct token_request {
  std::string sub;
  std::string role = "user";
  std::vector<std::string> workspaces;  // {"*"} for every workspace
  std::int64_t ttl_s = 86400;
};

std::string mint_token(const std::string& secret, const token_request& req);

}  // namespace pw::net
