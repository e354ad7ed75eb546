#include "core/failpoint.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

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

}  // namespace pw::core
