#include <map>
#include <set>
#include <catch2/catch.hpp>

#include "core/state_machine.hpp"

using namespace pw::core;

TEST_CASE("stage transitions: exactly the allowed table") {
  using s = stage_status;
  const stage_status all[] = {s::pending, s::processing, s::retrying, s::completed, s::failed, s::skipped};
  // from -> allowed targets
  const std::map<stage_status, std::set<stage_status>> allowed = {
      {s::pending, {s::processing, s::skipped}},
      {s::processing, {s::completed, s::failed, s::retrying, s::pending, s::skipped}},
      {s::retrying, {s::processing, s::pending, s::failed, s::skipped}},
      {s::completed, {s::pending}},
      {s::failed, {s::pending}},
      {s::skipped, {s::pending}},
  };
  for (auto from : all)
    for (auto to : all) {
      INFO(to_string(from) << " -> " << to_string(to));
      CHECK(transition_allowed(from, to) == (allowed.at(from).count(to) == 1));
    }
}

TEST_CASE("item transitions: exactly the allowed table") {
  using s = item_status;
  const std::map<item_status, std::set<item_status>> allowed = {
      {s::queued, {s::processing, s::paused, s::cancelled}},
      {s::processing, {s::completed, s::partial, s::failed, s::paused, s::cancelled}},
      {s::paused, {s::queued, s::processing, s::cancelled}},
      {s::completed, {s::queued}},
      {s::partial, {s::queued}},
      {s::failed, {s::queued}},
      {s::cancelled, {}},
  };
  for (auto from : all_item_statuses)
    for (auto to : all_item_statuses) {
      INFO(to_string(from) << " -> " << to_string(to));
      CHECK(transition_allowed(from, to) == (allowed.at(from).count(to) == 1));
    }
}

TEST_CASE("an allowed transition changes the status and yields its history entry") {
  stage_state st;
  st.attempts = 2;
  auto e = transition(st, "embed", stage_status::processing, 1234, "retry");
  REQUIRE(e);
  CHECK(st.status == stage_status::processing);
  CHECK(e->at_ms == 1234);
  CHECK(e->stage == "embed");
  CHECK(e->from == "pending");
  CHECK(e->to == "processing");
  CHECK(e->attempt == 2);
  CHECK(e->cause == "retry");
}

TEST_CASE("a refused transition leaves the state alone and names both statuses") {
  item_state it;
  it.status = item_status::completed;
  auto r = transition(it, item_status::processing, 1, "resume");
  REQUIRE_FALSE(r);
  CHECK(r.err().code == errc::invalid_transition);
  CHECK(r.err().message == "item is completed and cannot become processing");
  CHECK(it.status == item_status::completed);

  stage_state st;
  auto r2 = transition(st, "theme", stage_status::completed, 1, "");
  REQUIRE_FALSE(r2);
  CHECK(r2.err().message == "stage 'theme' is pending and cannot become completed");
}

TEST_CASE("status names round-trip") {
  for (auto s : all_item_statuses) CHECK(parse_item_status(to_string(s)) == s);
  CHECK_FALSE(parse_item_status("done"));
  CHECK(parse_stage_status("retrying") == stage_status::retrying);
  CHECK(http_status(errc::invalid_transition) == 409);
  CHECK(code_name(errc::payload_too_large) == "PAYLOAD_TOO_LARGE");
}
