// A small HTTP client for tests (cpp-httplib underneath), JSON via Boost.JSON.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

namespace pwtest {

struct response {
  int status = 0;  // 0: no response (connection failed)
  std::string body;
  std::multimap<std::string, std::string> headers;
  boost::json::value json() const;  // throws when the body is not JSON
  std::string header(const std::string& name) const;
  std::string error_code() const;   // error.code of a JSON error body, or ""
};

class http {
 public:
  explicit http(std::uint16_t port);
  ~http();
  http(http&&) noexcept;
  response get(const std::string& path, const std::string& token = {});
  response post(const std::string& path, const std::string& body, const std::string& token = {},
                const std::string& content_type = "application/json",
                const std::map<std::string, std::string>& headers = {});
  response send(const std::string& method, const std::string& path, const std::string& body,
                const std::map<std::string, std::string>& headers);
  // A multipart/form-data POST with fields and files (name, filename,
  // content type, content), as browsers and curl -F send it.
  struct form_file {
    std::string name, filename, content_type, content;
  };
  response post_form(const std::string& path, const std::string& token, const std::map<std::string, std::string>& fields,
                     const std::vector<form_file>& files, const std::map<std::string, std::string>& headers = {});

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// Writes `bytes` on a fresh connection and returns what came back until the
// server closed or `timeout_ms` passed (for malformed HTTP).
std::string raw_exchange(std::uint16_t port, const std::string& bytes, int timeout_ms = 2000);

// A raw TCP connection to the node, optionally from another loopback
// address (127.0.0.2, ...), for slow, partial and hostile clients.
class raw_connection {
 public:
  explicit raw_connection(std::uint16_t port, const std::string& source = "127.0.0.1");
  ~raw_connection();
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;
  bool connected() const { return fd_ >= 0; }
  bool send(const std::string& bytes);
  // What arrives until the peer closes or `timeout_ms` pass without data.
  std::string receive(int timeout_ms);
  // True when the peer closed the connection within `timeout_ms`.
  bool closed_within(int timeout_ms);

 private:
  int fd_ = -1;
  bool eof_ = false;
};

}  // namespace pwtest
