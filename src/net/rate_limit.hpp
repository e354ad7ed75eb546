// Token buckets by key: submissions per user (limits.submit_rate_per_user,
// limits.submit_burst), failed authentications per client address
// (limits.auth_failures_per_s, limits.auth_failure_burst). A refusal says
// how long to wait.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace pw::net {

class rate_limiter {
 public:
  rate_limiter(double per_second, double burst);
  // nullopt: admitted; else the seconds to wait before a token is free.
  std::optional<int> admit(const std::string& user);
  // The same answer without taking a token.
  std::optional<int> peek(const std::string& user);

 private:
  struct bucket {
    double tokens;
    std::chrono::steady_clock::time_point last;
  };
  std::optional<int> take(const std::string& key, bool consume);
  double rate_, burst_;
  std::mutex mu_;
  std::unordered_map<std::string, bucket> buckets_;
};

}  // namespace pw::net
