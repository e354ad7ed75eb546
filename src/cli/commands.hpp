// The subcommands of the `pipewright` binary.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pw::cli {

struct serve_options {
  std::optional<std::string> config_file;
  std::optional<std::string> listen;    // HOST:PORT, overrides server.listen
  std::optional<std::string> data_dir;  // overrides server.data_dir
};

struct token_options {
  std::optional<std::string> config_file;
  std::string sub;
  std::string role = "user";
  std::string workspaces = "*";  // comma-separated, or *
  std::optional<std::int64_t> ttl_s;
};

int serve(const serve_options& o);
int token(const token_options& o);

}  // namespace pw::cli
