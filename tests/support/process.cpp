#include "process.hpp"

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "http.hpp"

extern char** environ;

namespace pwtest {

const char* binary_path() { return PW_BINARY; }

temp_dir::temp_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "pipewright-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

server_process::server_process(const temp_dir& dir, std::string config_toml, std::string data_dir)
    : config_path_(dir.file("pipewright.toml")),
      data_dir_(data_dir.empty() ? dir.file("data") : std::move(data_dir)),
      log_path_(dir.file("server.log")) {
  write_file(config_path_, config_toml);
}

server_process::~server_process() {
  if (pid_ > 0) kill9();
}

void server_process::rewrite_config(const std::string& config_toml) { write_file(config_path_, config_toml); }

std::string server_process::log() const { return read_file(log_path_); }

void server_process::start() {
  if (pid_ > 0) throw std::runtime_error("server already running");
  ++starts_;
  // Each start appends to the log, marked, so a test can read all runs.
  write_file(log_path_ + ".marker", std::to_string(starts_));
  const auto offset = static_cast<std::size_t>(std::filesystem::exists(log_path_) ? std::filesystem::file_size(log_path_) : 0);
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "PIPEWRIGHT_", 11) != 0 && std::strncmp(*e, "OPENAI_", 7) != 0) env.emplace_back(*e);
  for (const auto& [name, value] : extra_env_) env.push_back(name + "=" + value);
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test
    int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    close_inherited_descriptors();
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::string cfg = config_path_, data = data_dir_;
    const char* argv[] = {binary_path(), "serve", "--config", cfg.c_str(), "--listen", "127.0.0.1:0", "--data-dir", data.c_str(), nullptr};
    execve(binary_path(), const_cast<char**>(argv), envp.data());
    _exit(127);
  }
  pid_ = pid;
  const std::regex listening(R"(listening on http://127\.0\.0\.1:(\d+))");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    auto text = log();
    text = text.size() > offset ? text.substr(offset) : std::string();
    std::smatch m;
    if (std::regex_search(text, m, listening)) {
      port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
      return;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      const auto how = WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                           : "exit " + std::to_string(WEXITSTATUS(status));
      throw std::runtime_error("server exited before listening (" + how + "):\n" + text);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill9();
  throw std::runtime_error("server did not listen within 30 s:\n" + log());
}

bool server_process::wait_ready(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  http client(port_);
  while (std::chrono::steady_clock::now() < deadline) {
    if (client.get("/readyz").status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void server_process::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::optional<int> server_process::terminate(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  ::kill(pid_, SIGTERM);
  return wait_exit(timeout);
}

std::optional<int> server_process::wait_exit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

void close_inherited_descriptors() noexcept {
  if (close_range(3, ~0u, 0) == 0) return;
  for (int fd = 3; fd < 65536; ++fd) close(fd);  // kernels before 5.9
}

}  // namespace pwtest
