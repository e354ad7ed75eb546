#include <catch2/catch.hpp>
#include "core/state_machine.hpp"
TEST_CASE("placeholder") { CHECK(pw::core::transition_allowed(pw::core::stage_status::pending, pw::core::stage_status::processing)); }
