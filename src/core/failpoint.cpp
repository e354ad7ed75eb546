#include "core/failpoint.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <chrono>
#include <string>
#include <thread>

namespace pw::core {

void failpoint(std::string_view name) {
  static const std::string armed = [] {
    const char* v = std::getenv("PIPEWRIGHT_FAILPOINT");
    return std::string(v ? v : "");
  }();
  if (armed.empty() || armed != name) return;
  std::fprintf(stderr, "event=failpoint.hit name=%s action=SIGKILL\n", armed.c_str());
  std::fflush(stderr);
  std::raise(SIGKILL);
}

void pausepoint(std::string_view name) {
  struct armed_pause {
    std::string name;
    long ms = 0;
  };
  static const armed_pause armed = [] {
    armed_pause a;
    const char* v = std::getenv("PIPEWRIGHT_PAUSEPOINT");
    std::string s(v ? v : "");
    auto colon = s.rfind(':');
    if (colon == std::string::npos) return a;
    a.name = s.substr(0, colon);
    a.ms = std::strtol(s.c_str() + colon + 1, nullptr, 10);
    return a;
  }();
  if (armed.ms <= 0 || armed.name != name) return;
  std::this_thread::sleep_for(std::chrono::milliseconds(armed.ms));
}

}  // namespace pw::core
