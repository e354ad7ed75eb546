// JWTs for tests, made with cpp-jwt (independently of the server's code),
// and hand-made broken ones.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace pwtest {

inline const std::string test_secret = "pipewright-test-secret-0123456789";

std::string make_token(const std::string& sub, std::vector<std::string> workspaces = {"*"}, const std::string& role = "user",
                       std::chrono::seconds ttl = std::chrono::hours(1), const std::string& secret = test_secret);
std::string token_alg_none(const std::string& sub);
std::string token_bad_signature(const std::string& sub);
std::string base64url(const std::string& in);

}  // namespace pwtest
