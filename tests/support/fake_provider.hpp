// The fake OpenAI-compatible provider (support/fake_openai/) as a child
// process of a test: started on 127.0.0.1 (HTTP and TLS, its CA in a temp
// dir), programmed with /_control, read with /_stats; it dies with the test.
#pragma once

#include <cstdint>
#include <string>
#include <sys/types.h>

#include <boost/json/object.hpp>

#include "process.hpp"

namespace pwtest {

class fake_provider {
 public:
  fake_provider();
  ~fake_provider();
  fake_provider(const fake_provider&) = delete;
  fake_provider& operator=(const fake_provider&) = delete;

  std::uint16_t http_port() const { return http_port_; }
  std::uint16_t https_port() const { return https_port_; }
  const std::string& ca_file() const { return ca_file_; }
  std::string http_url() const { return "http://127.0.0.1:" + std::to_string(http_port_) + "/v1"; }
  std::string https_url() const { return "https://127.0.0.1:" + std::to_string(https_port_) + "/v1"; }

  // POST /_control with this JSON object; fails the test unless 200.
  void control(const std::string& json);
  boost::json::object stats();
  // Lets held requests go on (and drops the hold rules).
  void release();

 private:
  temp_dir dir_;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  std::uint16_t http_port_ = 0, https_port_ = 0;
  std::string ca_file_;
};

// The fake provider's binary (set by CMake).
const char* fake_openai_path();

}  // namespace pwtest
