// Command line of pw-loadgen. Names, defaults and meaning follow the BullMQ
// anchor's loadgen.js (../shared/anchors/bullmq/loadgen.js), plus --api and
// --secret for Pipewright.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pwlg {

enum class api_kind { pipewright, anchor };

struct endpoint {
  std::string host;  // a loopback literal or "localhost"
  std::uint16_t port = 0;
  std::string path;  // for the WebSocket URL
};

struct watched_pid {
  std::string name;
  int pid = 0;
};

struct options {
  api_kind api = api_kind::pipewright;
  std::string base, ws;  // URLs as given (defaults per api)
  endpoint http, socket;
  int users = 100;
  int sockets_per_user = 1;
  long n = 20000;     // measured items
  long warmup = 0;    // posted and awaited first, not measured
  int c = 64;         // POSTs in flight (keep-alive connections)
  double rate = 0;    // items/s offered; 0 = as fast as answered
  int workspaces = 10;
  double timeout_s = 300;
  double grace_s = 2;
  int verify = 200;
  std::vector<watched_pid> pids;
  std::string secret = "pipewright-bench-secret";  // pipewright: HS256 secret of the server
  std::string out, label;
  std::string prefix;      // before user and workspace names, so two runs can share a server
  bool post_only = false;  // post and stop: no sockets, no waiting (fills a store for a scenario)
  bool quiet = false;
};

// Parses argv. On a problem: prints it and returns nullopt with *exit_code
// (0 after --help, 3 for a non-loopback target, 1 otherwise).
std::optional<options> parse_options(int argc, char** argv, int* exit_code);

bool is_loopback(const std::string& host);

}  // namespace pwlg
