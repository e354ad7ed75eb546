// `http` stages against the fake OpenAI-compatible provider on loopback:
// structured outputs validated and stored in the builtin shapes, the
// provider's embeddings used by the builtin duplicate stage, usage counted
// per stage and model, the key sent and never logged; an invalid answer is
// retried and a 400 fails at once with the provider's message; TLS with a
// configured CA, and refused without it; OPENAI_BASE_URL / OPENAI_API_KEY and
// a single PIPEWRIGHT_* variable switch a stage to a provider.
#include <catch2/catch.hpp>

#include "api.hpp"
#include "config.hpp"
#include "fake_provider.hpp"
#include "process.hpp"
#include "tokens.hpp"

using namespace pwtest;
using namespace std::chrono_literals;

namespace {

const std::string key = "sk-test-0123456789abcdef";

config_builder http_stages(const std::string& provider_toml) {
  config_builder b;
  b.backend("builtin").top(provider_toml);
  for (auto s : {"embed", "classify", "sentiment", "urgency", "theme"}) b.stage_backend(s, "http");
  return b;
}

std::string provider(const std::string& url, const std::string& extra = "") {
  return "[providers.openai]\nbase_url = \"" + url + "\"\n" + extra;
}

boost::json::object result_of(http& c, const std::string& token, const std::string& id, const std::string& stage) {
  auto item = get_object(c, "/api/v1/items/" + id, token);
  return item.at("stages").as_object().at(stage).as_object().at("result").as_object();
}

std::string str(const boost::json::object& o, const char* k) { return std::string(o.at(k).as_string()); }

}  // namespace

TEST_CASE("http stages end to end: validated structured outputs, embeddings feed duplicate, usage, the key") {
  fake_provider fake;
  temp_dir dir;
  server_process srv(dir, http_stages(provider(fake.http_url())).str());
  srv.set_env("OPENAI_API_KEY", key);
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto token = make_token("ada", {"acme"});
  const std::string crash = "The app crashes at login. Please fix ASAP!";
  const auto a = submit(c, token, "acme", crash);
  REQUIRE(wait_terminal(c, token, {a}, 20s));
  const auto b = submit(c, token, "acme", crash);
  const auto d = submit(c, token, "acme", "I love the new dashboard, thanks a lot");
  REQUIRE(wait_terminal(c, token, {b, d}, 20s));
  for (const auto& id : {a, b, d}) CHECK(status_of(c, token, id) == "completed");

  auto sentiment = result_of(c, token, a, "sentiment");
  CHECK(str(sentiment, "label") == "negative");
  CHECK(sentiment.at("score").as_double() == Approx(-0.7));
  CHECK(str(sentiment, "model") == "gpt-4o-mini");
  CHECK(sentiment.at("usage").as_object().at("completion_tokens").as_int64() == 12);
  CHECK(str(result_of(c, token, a, "classify"), "label") == "bug");
  CHECK(str(result_of(c, token, a, "urgency"), "level") == "critical");
  auto theme = result_of(c, token, a, "theme");
  CHECK(str(theme, "label") == "Login problems");
  CHECK(str(theme, "theme_id") == "login-problems");
  CHECK(theme.at("new").as_bool());
  CHECK_FALSE(result_of(c, token, b, "theme").at("new").as_bool());
  CHECK(str(result_of(c, token, d, "sentiment"), "label") == "positive");
  auto embed = result_of(c, token, a, "embed");
  CHECK(embed.at("dim").as_int64() == 64);
  CHECK(str(embed, "encoding") == "f32le-base64");
  CHECK(str(embed, "model") == "text-embedding-3-small");
  // The builtin duplicate stage searched the provider's vectors.
  auto dup = result_of(c, token, b, "duplicate");
  CHECK(dup.at("isDuplicate").as_bool());
  CHECK(str(dup, "duplicate_of") == a);
  CHECK_FALSE(result_of(c, token, d, "duplicate").at("isDuplicate").as_bool());
  // Priority (builtin) read the provider's sentiment and urgency.
  CHECK(str(result_of(c, token, a, "priority"), "bucket") == "P1");

  // Items listed by the provider's theme.
  auto listed = get_object(c, "/api/v1/items?workspace=acme&theme=login-problems", token).at("items").as_array();
  CHECK(listed.size() == 2);

  // Usage per stage and model, in the workspace metrics.
  auto usage = get_object(c, "/api/v1/workspaces/acme/ai/metrics", token).at("usage_last_30_days").as_object();
  CHECK(usage.at("requests").as_int64() == 15);  // 3 items x 5 provider stages
  auto by_stage = usage.at("by_stage").as_object();
  CHECK(by_stage.at("sentiment").as_object().at("requests").as_int64() == 3);
  CHECK(by_stage.at("sentiment").as_object().at("completion_tokens").as_int64() == 36);
  CHECK(by_stage.at("embed").as_object().at("prompt_tokens").as_int64() > 0);
  CHECK(usage.at("by_model").as_object().at("gpt-4o-mini").as_object().at("requests").as_int64() == 12);
  CHECK(usage.at("by_model").as_object().at("text-embedding-3-small").as_object().at("requests").as_int64() == 3);
  CHECK(usage.at("total_tokens").as_int64() ==
        usage.at("prompt_tokens").as_int64() + usage.at("completion_tokens").as_int64());

  // The key went to the provider, and nowhere in the log.
  auto stats = fake.stats();
  bool sent = false;
  for (const auto& a : stats.at("authorizations").as_array()) sent = sent || a.as_string() == "Bearer " + key;
  CHECK(sent);
  CHECK(stats.at("calls").as_object().at("POST /v1/chat/completions").as_int64() == 12);
  REQUIRE(srv.terminate(10s) == 0);
  CHECK(srv.log().find(key) == std::string::npos);
  CHECK(srv.log().find("api_key=set") != std::string::npos);
}

TEST_CASE("an invalid answer is a transient error, retried, and a 400 fails at once with the provider's message") {
  fake_provider fake;
  temp_dir dir;
  server_process srv(dir, http_stages(provider(fake.http_url())).str());
  srv.set_env("OPENAI_API_KEY", key);
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto token = make_token("ada", {"acme"});
  // Two answers that break their schema: two stage attempts fail and are retried.
  fake.control(R"({"invalid_answers": 2})");
  const auto ok = submit(c, token, "acme", "How do I export my invoices?");
  REQUIRE(wait_terminal(c, token, {ok}, 30s));
  CHECK(status_of(c, token, ok) == "completed");
  auto history = history_of(c, token, ok);
  int retried = 0;
  std::string cause;
  for (const auto& v : history) {
    const auto& e = v.as_object();
    if (e.at("scope").as_string() == "stage" && e.at("to").as_string() == "retrying") {
      ++retried;
      cause = std::string(e.at("cause").as_string());
    }
  }
  CHECK(retried == 2);
  CHECK(cause.find("invalid answer") != std::string::npos);

  // A request the provider refuses (400): permanent, not retried.
  const auto refused = submit(c, token, "acme", "please refuse this [[fail400]]");
  REQUIRE(wait_terminal(c, token, {refused}, 20s));
  CHECK(status_of(c, token, refused) == "failed");  // embed failed: everything after it was skipped
  auto status = get_object(c, "/api/v1/items/" + refused + "/processing-status", token);
  auto embed = status.at("stages").as_object().at("embed").as_object();
  CHECK(embed.at("attempts").as_int64() == 1);
  CHECK(std::string(embed.at("error").as_string()).find("HTTP 400: the fake provider refuses this request") != std::string::npos);
  auto admin = make_token("root", {"*"}, "admin");
  auto dlq = get_object(c, "/api/v1/admin/dlq", admin);
  CHECK(dlq.at("open").as_int64() == 1);
}

TEST_CASE("https: the configured CA is trusted, and without it the certificate is refused as a permanent error") {
  fake_provider fake;
  SECTION("ca_file") {
    temp_dir dir;
    server_process srv(dir, http_stages(provider(fake.https_url(), "ca_file = \"" + fake.ca_file() + "\"\n")).str());
    srv.set_env("OPENAI_API_KEY", key);
    srv.start();
    REQUIRE(srv.wait_ready());
    http c(srv.port());
    const auto token = make_token("ada", {"acme"});
    const auto id = submit(c, token, "acme", "Checkout is slow today");
    REQUIRE(wait_terminal(c, token, {id}, 20s));
    CHECK(status_of(c, token, id) == "completed");
    CHECK(str(result_of(c, token, id, "sentiment"), "label") == "negative");
  }
  SECTION("the system CA store does not know the fake's CA") {
    temp_dir dir;
    server_process srv(dir, http_stages(provider(fake.https_url())).str());
    srv.set_env("OPENAI_API_KEY", key);
    srv.start();
    REQUIRE(srv.wait_ready());
    http c(srv.port());
    const auto token = make_token("ada", {"acme"});
    const auto id = submit(c, token, "acme", "Checkout is slow today");
    REQUIRE(wait_terminal(c, token, {id}, 20s));
    CHECK(status_of(c, token, id) == "failed");
    auto embed = get_object(c, "/api/v1/items/" + id + "/processing-status", token).at("stages").as_object().at("embed").as_object();
    CHECK(embed.at("attempts").as_int64() == 1);
    CHECK(std::string(embed.at("error").as_string()).find("TLS: the certificate") != std::string::npos);
    // Nothing reached the provider in clear: the handshake failed before any request.
    CHECK(fake.stats().at("calls").as_object().if_contains("POST /v1/embeddings") == nullptr);
  }
}

TEST_CASE("OPENAI_BASE_URL and OPENAI_API_KEY configure openai, PIPEWRIGHT_ variables override them, one variable switches a stage") {
  fake_provider fake;
  temp_dir dir;
  // The config names no provider: the stage is switched by the environment alone.
  server_process srv(dir, config_builder().backend("builtin").str());
  srv.set_env("OPENAI_BASE_URL", fake.http_url());
  srv.set_env("OPENAI_API_KEY", "sk-from-openai-api-key");
  srv.set_env("PIPEWRIGHT_PIPELINES__FEEDBACK__STAGES__SENTIMENT__BACKEND", "http");
  srv.set_env("PIPEWRIGHT_PIPELINES__FEEDBACK__STAGES__SENTIMENT__MODEL", "gpt-4.1-nano");
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto token = make_token("ada", {"acme"});
  auto id = submit(c, token, "acme", "Great support, thanks!");
  REQUIRE(wait_terminal(c, token, {id}, 20s));
  auto s = result_of(c, token, id, "sentiment");
  CHECK(str(s, "model") == "gpt-4.1-nano");
  CHECK(str(s, "label") == "positive");
  CHECK_FALSE(result_of(c, token, id, "classify").contains("model"));  // still builtin
  REQUIRE(srv.terminate(10s) == 0);

  // PIPEWRIGHT_PROVIDERS__OPENAI__API_KEY wins over OPENAI_API_KEY.
  srv.set_env("PIPEWRIGHT_PROVIDERS__OPENAI__API_KEY", "sk-from-pipewright");
  srv.start();
  REQUIRE(srv.wait_ready());
  http c2(srv.port());
  id = submit(c2, token, "acme", "Great support, thanks!");
  REQUIRE(wait_terminal(c2, token, {id}, 20s));
  auto auths = fake.stats().at("authorizations").as_array();
  CHECK(std::find(auths.begin(), auths.end(), boost::json::value("Bearer sk-from-openai-api-key")) != auths.end());
  CHECK(std::find(auths.begin(), auths.end(), boost::json::value("Bearer sk-from-pipewright")) != auths.end());
  REQUIRE(srv.terminate(10s) == 0);

  // A key in a config file is refused at start, naming the key.
  srv.rewrite_config(config_builder().backend("builtin").top("[providers.openai]\napi_key = \"sk-in-a-file\"\n").str());
  CHECK_THROWS(srv.start());
  CHECK(srv.log().find("config: providers.openai.api_key: keys are never read from a config file") != std::string::npos);
}
