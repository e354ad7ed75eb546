// The config loader (core/config*.cpp): the built-in defaults, a --config
// file laid over them, then PIPEWRIGHT_* environment overrides. The input is
// the file's text, then a NUL, then NAME=value lines for the environment.
// Anything must give a config or an error that names the config ("config:
// ..."), never a crash; an accepted config must satisfy what the server
// relies on.
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "core/supervision.hpp"
#include "fuzz_input.hpp"

namespace pw::embedded {
std::string_view pipewright_toml();
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pwfuzz::input in(data, size);
  const auto file = in.until('\0');
  pw::core::env_map env;
  while (!in.empty()) {
    auto line = in.until('\n');
    auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string name(line.substr(0, eq));
    if (name.rfind("PIPEWRIGHT_", 0) != 0) name = "PIPEWRIGHT_" + name;
    env[name] = std::string(line.substr(eq + 1));
  }
  auto cfg = pw::core::load_config_text(pw::embedded::pipewright_toml(), file, "fuzz.toml", env);
  if (!cfg) {
    PWFUZZ_CHECK(cfg.err().message.rfind("config: ", 0) == 0);
    return 0;
  }
  PWFUZZ_CHECK(cfg->pipelines.count("feedback") == 1);
  PWFUZZ_CHECK(cfg->auth.jwt_secret.size() >= 16);
  PWFUZZ_CHECK(cfg->server.io_threads >= 1 && cfg->actors.scheduler_threads >= 1);
  for (const auto& [name, p] : cfg->pipelines) {
    PWFUZZ_CHECK(p.size() > 0);
    for (const auto& st : p.stages()) {
      PWFUZZ_CHECK(st.retry.max_attempts >= 1);
      PWFUZZ_CHECK(st.retry.max_backoff >= st.retry.initial_backoff);
      for (const auto& dep : st.after) PWFUZZ_CHECK(p.index_of(dep).has_value());
      for (std::uint32_t a = 1; a <= st.retry.max_attempts; ++a) {
        auto d = pw::core::backoff_delay(st.retry, a, 0.999);
        PWFUZZ_CHECK(d.count() >= 0 && d <= st.retry.max_backoff);
      }
    }
  }
  return 0;
}
