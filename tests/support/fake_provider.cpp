#include "fake_provider.hpp"

#include <csignal>
#include <regex>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "http.hpp"
#include "process.hpp"

namespace pwtest {

const char* fake_openai_path() { return PW_FAKE_OPENAI; }

fake_provider::fake_provider() {
  int in[2], out[2];
  if (pipe(in) != 0 || pipe(out) != 0) throw std::runtime_error("pipe failed");
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(in[0], 0);
    dup2(out[1], 1);
    close_inherited_descriptors();
    std::string d = dir_.path();
    const char* argv[] = {fake_openai_path(), "--dir", d.c_str(), "--max-seconds", "1200", nullptr};
    execv(fake_openai_path(), const_cast<char**>(argv));
    _exit(127);
  }
  pid_ = pid;
  close(in[0]);
  close(out[1]);
  stdin_fd_ = in[1];
  std::string line;
  char c;
  while (read(out[0], &c, 1) == 1 && c != '\n') line += c;
  close(out[0]);
  std::smatch m;
  static const std::regex re(R"(http=(\d+) https=(\d+) ca=(\S+))");
  if (!std::regex_search(line, m, re)) throw std::runtime_error("fake_openai did not start: " + line);
  http_port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
  https_port_ = static_cast<std::uint16_t>(std::stoi(m[2]));
  ca_file_ = m[3];
}

fake_provider::~fake_provider() {
  if (stdin_fd_ >= 0) close(stdin_fd_);
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
}

void fake_provider::control(const std::string& json) {
  http c(http_port_);
  auto r = c.post("/_control", json);
  INFO("POST /_control " << json << " -> " << r.status << " " << r.body);
  REQUIRE(r.status == 200);
}

boost::json::object fake_provider::stats() {
  http c(http_port_);
  auto r = c.get("/_stats");
  REQUIRE(r.status == 200);
  return r.json().as_object();
}

void fake_provider::release() {
  http c(http_port_);
  REQUIRE(c.post("/_release", "{}").status == 200);
}

}  // namespace pwtest
