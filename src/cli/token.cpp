#include <iostream>

#include "cli/commands.hpp"
#include "cli/load.hpp"
#include "net/auth.hpp"

namespace pw::cli {

int token(const token_options& o) {
  auto cfg = load(o.config_file);
  if (!cfg) {
    std::cerr << "pipewright: " << cfg.err().message << "\n";
    return 2;
  }
  if (o.role != "user" && o.role != "admin") {
    std::cerr << "pipewright: --role must be user or admin\n";
    return 2;
  }
  net::token_request req;
  req.sub = o.sub;
  req.role = o.role;
  req.ttl_s = o.ttl_s.value_or(cfg->auth.token_ttl_s);
  if (req.ttl_s <= 0) {
    std::cerr << "pipewright: --ttl must be positive\n";
    return 2;
  }
  std::string list = o.workspaces;
  for (std::size_t start = 0; start <= list.size();) {
    auto comma = list.find(',', start);
    auto w = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!w.empty()) req.workspaces.push_back(w);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  std::cout << net::mint_token(cfg->auth.jwt_secret, req) << "\n";
  return 0;
}

}  // namespace pw::cli
