// The synthetic backend against golden values computed by the BullMQ
// anchor's own JavaScript (tests/data/make_synthetic_golden.js).
#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "core/json.hpp"
#include "stages/synthetic.hpp"

namespace sy = pw::stages::synthetic;

namespace {

boost::json::array golden() {
  std::ifstream in(PW_TEST_DATA_DIR "/synthetic_golden.json");
  REQUIRE(in);
  std::stringstream s;
  s << in.rdbuf();
  return boost::json::parse(s.str()).as_array();
}

}  // namespace

TEST_CASE("synthetic stages reproduce the anchor's results exactly") {
  for (const auto& g : golden()) {
    const auto& text = g.at("text").as_string();
    const auto& expected = g.at("results").as_object();
    pw::core::item it;
    it.text = std::string(text);
    pw::stages::stage_results upstream;
    for (std::string_view kind : sy::kinds) {
      auto backend = sy::make(kind);
      REQUIRE(backend);
      auto outcome = backend->run(pw::stages::stage_input{it, upstream, 1});
      REQUIRE(std::holds_alternative<pw::stages::stage_success>(outcome));
      auto& out = std::get<pw::stages::stage_success>(outcome).output;
      INFO("text: " << text << "\nstage: " << kind);
      // Same JSON text as JavaScript's JSON.stringify, field for field.
      CHECK(pw::core::to_json(out) == pw::core::to_json(expected.at(kind)));
      upstream.set(std::string(kind), std::make_shared<boost::json::object>(out));
    }
  }
}

TEST_CASE("tokenize follows JavaScript's toLowerCase and [^a-z0-9]+ split") {
  CHECK(sy::tokenize("Hello, WORLD 42!") == std::vector<std::string>{"hello", "world", "42"});
  CHECK(sy::tokenize("café") == std::vector<std::string>{"caf"});
  CHECK(sy::tokenize("İx") == std::vector<std::string>{"i", "x"});
  CHECK(sy::tokenize("!!!").empty());
}

TEST_CASE("round4 rounds halves towards +infinity like Math.round") {
  CHECK(sy::round4(0.00005) == Approx(0.0001));
  CHECK(sy::round4(-0.00005) == 0.0);
  CHECK(sy::round4(0.12344) == Approx(0.1234));
}
