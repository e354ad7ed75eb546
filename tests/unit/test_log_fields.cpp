// log.format = "json": key=value messages become typed JSON fields; other
// messages are kept whole; the config key is validated by name.
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include "core/config.hpp"
#include "core/log_fields.hpp"

namespace pw::embedded {
std::string_view pipewright_toml();
}

using namespace pw::core;

TEST_CASE("log fields: key=value pairs become typed JSON fields") {
  const auto line = log_line_json("2026-12-06T20:00:00.000Z", "info",
                                   "event=stage.attempt_failed item=01M96G15NNZ6HCK3SM23BCGM0W stage=theme attempt=2 "
                                   "outcome=transient_error duration_ms=12.345 error=\"chaos: a \"quoted\" word\" ok=true");
  auto o = boost::json::parse(line).as_object();
  CHECK(o.at("ts").as_string() == "2026-12-06T20:00:00.000Z");
  CHECK(o.at("level").as_string() == "info");
  CHECK(o.at("event").as_string() == "stage.attempt_failed");
  CHECK(o.at("item").as_string() == "01M96G15NNZ6HCK3SM23BCGM0W");
  CHECK(o.at("stage").as_string() == "theme");
  CHECK(o.at("attempt").as_int64() == 2);
  CHECK(o.at("duration_ms").as_double() == Approx(12.345));
  CHECK(o.at("error").as_string() == "chaos: a \"quoted\" word");
  CHECK(o.at("ok").as_bool());
  CHECK(!o.contains("msg"));
}

TEST_CASE("log fields: values that only look numeric stay strings, other messages stay whole") {
  auto o = boost::json::parse(log_line_json("t", "warn", "event=x code=007 ver=1.2.3 neg=-4 id=12ab")).as_object();
  CHECK(o.at("code").as_string() == "007");
  CHECK(o.at("ver").as_string() == "1.2.3");
  CHECK(o.at("neg").as_int64() == -4);
  CHECK(o.at("id").as_string() == "12ab");
  auto plain = boost::json::parse(log_line_json("t", "info", "listening on http://127.0.0.1:8080")).as_object();
  CHECK(plain.at("msg").as_string() == "listening on http://127.0.0.1:8080");
  // An unterminated quote or a bare word makes the whole message a msg.
  CHECK(parse_log_fields("event=x error=\"never closed").empty());
  CHECK(parse_log_fields("event=x and more").empty());
  // Control characters and non-ASCII are escaped or kept valid.
  auto esc = boost::json::parse(log_line_json("t", "error", "event=x error=\"tab\there, ünïcode\"")).as_object();
  CHECK(esc.at("error").as_string() == "tab\there, ünïcode");
}

TEST_CASE("config: log.format is text or json, anything else names the key") {
  auto cfg = load_config(pw::embedded::pipewright_toml(), std::nullopt, {{"PIPEWRIGHT_LOG__FORMAT", "json"}});
  REQUIRE(cfg);
  CHECK(cfg->log_format == log_encoding::json);
  auto bad = load_config(pw::embedded::pipewright_toml(), std::nullopt, {{"PIPEWRIGHT_LOG__FORMAT", "xml"}});
  REQUIRE(!bad);
  CHECK(bad.err().message.find("log.format") != std::string::npos);
  CHECK(bad.err().message.find("text, json") != std::string::npos);
}
