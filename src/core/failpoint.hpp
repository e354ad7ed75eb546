// Crash points for tests: with PIPEWRIGHT_FAILPOINT=<name> in its
// environment, the process kills itself with SIGKILL the first time it
// reaches failpoint(<name>), exactly as `kill -9` at that instant would
// (tests/integration/it_batch_crash.cpp). Pause points, for races: with
// PIPEWRIGHT_PAUSEPOINT=<name>:<ms>, the thread that reaches
// pausepoint(<name>) sleeps that long, every time (it_control). Without the
// variables each costs a comparison with an empty string.
#pragma once

#include <string_view>

namespace pw::core {

void failpoint(std::string_view name);
void pausepoint(std::string_view name);

}  // namespace pw::core
