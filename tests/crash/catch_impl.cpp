// The test support library's helpers use Catch2's assertions (the runner
// itself never calls them: it reports through its model). Catch2 v2 keeps
// its implementation in the translation unit that defines
// CATCH_CONFIG_RUNNER, without a main(): the runner has its own.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
