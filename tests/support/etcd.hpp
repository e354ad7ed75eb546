// A real etcd (Debian etcd-server 3.4) for the cluster tests: one member on
// 127.0.0.1 with free ports and its data in a temp dir, killed when the test
// ends. Restartable on the same ports and data (etcd itself restarted).
#pragma once

#include <cstdint>
#include <string>
#include <sys/types.h>

#include "process.hpp"

namespace pwtest {

// A TCP port that was free a moment ago on 127.0.0.1.
std::uint16_t free_port();

class etcd_process {
 public:
  explicit etcd_process(const temp_dir& dir);
  ~etcd_process();  // SIGKILL if still running
  void start();     // throws std::runtime_error (with the log) when it does not answer in time
  void kill9();
  bool running() const { return pid_ > 0; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(client_port_); }
  std::uint16_t client_port() const { return client_port_; }
  std::string log() const;

 private:
  std::string data_dir_, log_path_;
  std::uint16_t client_port_, peer_port_;
  pid_t pid_ = -1;
};

}  // namespace pwtest
