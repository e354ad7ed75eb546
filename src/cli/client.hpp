// The REST side of the command-line client: one keep-alive connection to a
// node, requests with the caller's token, answers as status + parsed JSON,
// and a one-line explanation of an error answer.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <boost/json/value.hpp>

#include "cli/commands.hpp"

namespace pw::cli {

struct endpoint {
  std::string host;
  std::uint16_t port = 8080;
  std::string token;
};

// Resolves --url/--token against PIPEWRIGHT_URL/PIPEWRIGHT_TOKEN; on a
// problem prints it and returns nullopt.
std::optional<endpoint> resolve(const client_options& o);

struct answer {
  int status = 0;  // 0: no answer (connection failed)
  std::string body;
  boost::json::value json;  // null when the body is not JSON
  bool ok() const { return status >= 200 && status < 300; }
  // "404 NOT_FOUND: no item '...'" or "cannot reach ...".
  std::string explain() const;
};

class client {
 public:
  explicit client(endpoint e);
  ~client();
  answer get(const std::string& path);
  answer post(const std::string& path, const std::string& body, const std::map<std::string, std::string>& headers = {});
  // A multipart/form-data POST: each field (name -> value), and one file.
  struct file_part {
    std::string field, filename, content_type, content;
  };
  answer post_form(const std::string& path, const std::map<std::string, std::string>& fields, const file_part& file,
                   const std::map<std::string, std::string>& headers = {});
  const endpoint& where() const { return e_; }

 private:
  struct impl;
  endpoint e_;
  std::unique_ptr<impl> impl_;
};

}  // namespace pw::cli
