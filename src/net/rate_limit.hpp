// Per-user token buckets for submissions (limits.submit_rate_per_user,
// limits.submit_burst). A refusal says how long to wait.
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

 private:
  struct bucket {
    double tokens;
    std::chrono::steady_clock::time_point last;
  };
  double rate_, burst_;
  std::mutex mu_;
  std::unordered_map<std::string, bucket> buckets_;
};

}  // namespace pw::net
