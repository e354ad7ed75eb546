// A temp directory and a real `pipewright serve` process for tests: started
// on 127.0.0.1 with port 0, its log captured, killed when the test ends.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>

namespace pwtest {

class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void write_file(const std::string& path, const std::string& content);
std::string read_file(const std::string& path);

class server_process {
 public:
  // `config_toml` is written next to the data dir and passed with --config;
  // the data dir is `data_dir`, or "data" in `dir`.
  server_process(const temp_dir& dir, std::string config_toml, std::string data_dir = {});
  ~server_process();  // SIGKILL if still running

  // Replaces the config file; the next start() reads it.
  void rewrite_config(const std::string& config_toml);
  // An environment variable for the next start() (PIPEWRIGHT_* ones too:
  // others of the test's environment with that prefix are never passed).
  void set_env(const std::string& name, const std::string& value) { extra_env_[name] = value; }
  void clear_env() { extra_env_.clear(); }
  void start();  // throws std::runtime_error (with the log) when it does not listen in time
  bool wait_ready(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  void kill9();
  // SIGTERM and wait; the exit code, or nullopt when it did not exit in time.
  std::optional<int> terminate(std::chrono::milliseconds timeout);
  // Waits for the process to exit by itself (a second SIGTERM would force it).
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  bool running() const { return pid_ > 0; }
  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string log() const;
  const std::string& data_dir() const { return data_dir_; }

 private:
  std::string config_path_, data_dir_, log_path_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  int starts_ = 0;
  std::map<std::string, std::string> extra_env_;
};

// The pipewright binary under test (set by CMake).
const char* binary_path();

// In a child between fork and exec: closes every descriptor but 0, 1 and 2.
// Without it a server (or etcd, or a fake) started by a test holds copies of
// the test's own sockets and files: a client socket the test closes later
// stays open in that child, and its connection never ends.
void close_inherited_descriptors() noexcept;

}  // namespace pwtest
