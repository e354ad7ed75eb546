#include <cstdio>
#include <fstream>

#include <unistd.h>

#include <catch2/catch.hpp>

#include "core/config.hpp"

namespace pw::embedded {
std::string_view pipewright_toml();
}

using namespace pw::core;

namespace {

// A config file of its own for each call: ctest runs cases in parallel.
struct config_file {
  explicit config_file(const std::string& toml) {
    char tmpl[] = "/tmp/pw-config-test-XXXXXX";
    int fd = mkstemp(tmpl);
    close(fd);
    path = tmpl;
    std::ofstream(path) << toml;
  }
  ~config_file() { std::remove(path.c_str()); }
  std::string path;
};

std::string error_of(const std::string& file_toml, const env_map& env = {}) {
  config_file f(file_toml);
  auto cfg = load_config(pw::embedded::pipewright_toml(), f.path, env);
  if (cfg) return std::string();
  // Parse errors name the file; keep the tests independent of its random name.
  auto msg = cfg.err().message;
  if (auto at = msg.find(f.path); at != std::string::npos) msg.replace(at, f.path.size(), "FILE");
  return msg;
}

}  // namespace

TEST_CASE("the embedded defaults load and describe the feedback DAG") {
  auto cfg = load_config(pw::embedded::pipewright_toml(), std::nullopt, {});
  REQUIRE(cfg);
  CHECK(cfg->server.listen.host == "127.0.0.1");
  CHECK(cfg->server.listen.port == 8080);
  CHECK(cfg->server.data_dir == "./data");
  CHECK(cfg->limits.ws_send_buffer_bytes == 131072);
  CHECK(cfg->server.ws_threads == 1);
  CHECK(cfg->actors.scheduler_poll_us == 0);
  CHECK(cfg->actors.scheduler_steal_ms == 1);
  const auto& p = cfg->pipelines.at("feedback");
  CHECK(p.size() == 7);
  CHECK(p.stages().front().name == "embed");
  CHECK(p.stages().back().name == "priority");
  CHECK(p.stage(0).retry.max_attempts == 3);
}

TEST_CASE("every config error names its key") {
  CHECK(error_of("[server]\nlistn = \"x\"\n") == "config: server.listn: unknown key");
  CHECK(error_of("[nonsense]\n") == "config: nonsense: unknown key");
  CHECK(error_of("[server]\nlisten = \"nohost\"\n") == "config: server.listen: expected HOST:PORT, got \"nohost\"");
  CHECK(error_of("[server]\nio_threads = 0\n") == "config: server.io_threads: 0 is out of range [1, 64]");
  CHECK(error_of("[server]\nws_threads = 65\n") == "config: server.ws_threads: 65 is out of range [0, 64]");
  CHECK(error_of("[limits]\nws_send_buffer_bytes = -1\n") ==
        "config: limits.ws_send_buffer_bytes: -1 is out of range [0, 67108864]");
  CHECK(error_of("[actors]\nscheduler_steal_ms = 0\n") == "config: actors.scheduler_steal_ms: 0 is out of range [1, 1000]");
  CHECK(error_of("[store]\nsync = \"yes\"\n") == "config: store.sync: expected true or false");
  CHECK(error_of("[supervision]\njitter = 2\n") == "config: supervision.jitter: 2 is out of range [0, 1]");
  CHECK(error_of("[supervision]\ninitial_backoff_ms = 5000\nmax_backoff_ms = 10\n") ==
        "config: supervision.max_backoff_ms: must be at least initial_backoff_ms (5000)");
  CHECK(error_of("[notifier]\nstage_events = \"some\"\n") == "config: notifier.stage_events: expected one of all, settled, none");
  CHECK(error_of("[pipelines.feedback.stages.embed]\nbackend = \"synthetic\"\nafter = []\ncolour = 1\n") ==
        "config: pipelines.feedback.stages.embed.colour: unknown key");
  CHECK(error_of("[pipelines.feedback.stages.embed]\nafter = []\n") ==
        "config: pipelines.feedback.stages.embed.backend: missing (e.g. \"synthetic\")");
  CHECK(error_of("[pipelines.feedback.stages.a]\nbackend = \"synthetic\"\nafter = [\"b\"]\n"
                 "[pipelines.feedback.stages.b]\nbackend = \"synthetic\"\nafter = [\"a\"]\n")
            .rfind("config: pipelines.feedback.stages: dependency cycle", 0) == 0);
  CHECK(error_of("[pipelines.feedback.stages.embed]\nbackend = \"chaos\"\nafter = []\n"
                 "[pipelines.feedback.stages.embed.chaos]\ntransient_rate = 0.7\nhang_rate = 0.7\n") ==
        "config: pipelines.feedback.stages.embed.chaos.: transient_rate + permanent_rate + throw_rate + hang_rate must not exceed 1");
  CHECK(error_of("[server\n").rfind("config: FILE:1:", 0) == 0);
  CHECK(error_of("[pipelines.other.stages.x]\nbackend = \"synthetic\"\nafter = []\n[pipelines.feedback]\nstages = {}\n") ==
        "config: pipelines.feedback.stages: a pipeline needs at least one stage");
}

TEST_CASE("a file overlays the defaults - a pipeline it names replaces the built-in one") {
  config_file f("[server]\ndata_dir = \"/tmp/x\"\n[pipelines.feedback.stages.only]\nbackend = \"synthetic\"\nafter = []\n");
  auto cfg = load_config(pw::embedded::pipewright_toml(), f.path, {});
  REQUIRE(cfg);
  CHECK(cfg->server.data_dir == "/tmp/x");
  CHECK(cfg->server.listen.port == 8080);  // untouched default
  CHECK(cfg->pipelines.at("feedback").size() == 1);
}

TEST_CASE("environment variables override any key, values parsed as TOML") {
  env_map env{{"PIPEWRIGHT_SERVER__LISTEN", "0.0.0.0:9000"},
              {"PIPEWRIGHT_STORE__SYNC", "true"},
              {"PIPEWRIGHT_JWT_SECRET", "from-the-environment-secret"},
              {"PIPEWRIGHT_PIPELINES__FEEDBACK__STAGES__CLASSIFY__MAX_ATTEMPTS", "7"},
              {"PIPEWRIGHT_TOKEN", "ignored: not a config key"}};
  auto cfg = load_config(pw::embedded::pipewright_toml(), std::nullopt, env);
  REQUIRE(cfg);
  CHECK(cfg->server.listen.host == "0.0.0.0");
  CHECK(cfg->server.listen.port == 9000);
  CHECK(cfg->store.sync);
  CHECK(cfg->auth.jwt_secret == "from-the-environment-secret");
  const auto& p = cfg->pipelines.at("feedback");
  CHECK(p.stage(*p.index_of("classify")).retry.max_attempts == 7);

  auto bad = load_config(pw::embedded::pipewright_toml(), std::nullopt, {{"PIPEWRIGHT_SERVER__NOPE", "1"}});
  REQUIRE_FALSE(bad);
  CHECK(bad.err().message == "config: server.nope: unknown key");
}

TEST_CASE("listen addresses") {
  CHECK(parse_listen("127.0.0.1:0", "k")->port == 0);
  CHECK(parse_listen("[::1]:8080", "k")->host == "::1");
  CHECK_FALSE(parse_listen("127.0.0.1:65536", "k"));
  CHECK_FALSE(parse_listen(":80", "k"));
  CHECK_FALSE(parse_listen("host:", "k"));
}
