// The [providers.*] and [batch] sections, and what stages ask of them
// (config_toml.hpp declares these for load_config).
#include <algorithm>

#include "core/config_toml.hpp"
#include "core/url.hpp"

namespace pw::core::toml_config {

namespace {

std::string upper(std::string_view s);
constexpr std::string_view default_openai_url = "https://api.openai.com/v1";

std::string env_value(const env_map& env, const std::string& name) {
  auto it = env.find(name);
  return it == env.end() ? std::string() : it->second;
}

void read_provider(const std::string& name, const toml::table& t, const env_map& env, config& cfg,
                   std::optional<error>& err) {
  const std::string path = "providers." + name;
  section s(&t, path, err);
  provider_config p;
  p.name = name;
  const bool openai = name == "openai";
  if (!valid_identifier(name))
    return s.fail(format("{}: provider names are [a-z0-9_], 1-32 characters", path));
  // The key the OpenAI SDKs read, unless the config names another variable.
  p.api_key_env = openai ? "OPENAI_API_KEY" : "";
  s.str("base_url", p.base_url);
  s.str("api_key_env", p.api_key_env);
  s.str("api_key", p.api_key);  // only from PIPEWRIGHT_PROVIDERS__<NAME>__API_KEY (refuse_file_secrets)
  s.str("ca_file", p.ca_file);
  s.integer("max_concurrency", p.max_concurrency, 1, 1024);
  s.number("requests_per_minute", p.requests_per_minute, 0, 1e9);
  s.number("tokens_per_minute", p.tokens_per_minute, 0, 1e12);
  s.duration("timeout_ms", p.timeout, 100, 3'600'000);
  s.duration("connect_timeout_ms", p.connect_timeout, 100, 600'000);
  s.integer("rate_limit_retries", p.rate_limit_retries, 0, 100);
  s.duration("max_retry_after_ms", p.max_retry_after, 0, 3'600'000);
  s.finish();
  if (s.failed()) return;
  // OPENAI_BASE_URL, as the SDKs read it, when neither the config nor
  // PIPEWRIGHT_PROVIDERS__OPENAI__BASE_URL set one.
  if (p.base_url.empty() && openai) p.base_url = env_value(env, "OPENAI_BASE_URL");
  if (p.base_url.empty() && openai) p.base_url = std::string(default_openai_url);
  if (p.base_url.empty()) return s.fail(format("{}: missing (e.g. \"http://127.0.0.1:11434/v1\")", s.key("base_url")));
  if (auto u = parse_base_url(p.base_url, s.key("base_url")); !u) {
    err = u.err();
    return;
  }
  if (p.api_key.empty() && !p.api_key_env.empty()) p.api_key = env_value(env, p.api_key_env);
  cfg.providers.emplace(name, std::move(p));
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

}  // namespace

result<void> refuse_file_secrets(const toml::table& root) {
  auto* providers = root.get("providers");
  if (!providers || !providers->is_table()) return ok();
  for (auto& [name, n] : *providers->as_table()) {
    auto* t = n.as_table();
    if (t && t->contains("api_key"))
      return make_error(errc::validation_failed,
                        format("config: providers.{0}.api_key: keys are never read from a config file; set it in the "
                               "environment (the variable api_key_env names, or PIPEWRIGHT_PROVIDERS__{1}__API_KEY)",
                               std::string(name.str()), upper(name.str())));
  }
  return ok();
}

void read_providers(const toml::table* t, const env_map& env, config& cfg, std::optional<error>& err) {
  // openai exists even when no table names it: OPENAI_BASE_URL and
  // OPENAI_API_KEY are enough to use it.
  static const toml::table empty;
  bool has_openai = false;
  if (t && !err) {
    for (auto& [k, n] : *t) {
      std::string name(k.str());
      auto* pt = n.as_table();
      if (!pt) {
        err = make_error(errc::validation_failed, format("config: providers.{}: expected a table", name));
        return;
      }
      has_openai = has_openai || name == "openai";
      read_provider(name, *pt, env, cfg, err);
      if (err) return;
    }
  }
  if (!has_openai && !err) read_provider("openai", empty, env, cfg, err);
}

void read_batch(const toml::table* t, batch_config& b, std::optional<error>& err) {
  section s(t, "batch", err);
  s.boolean("creation_enabled", b.creation_enabled);
  s.boolean("polling_enabled", b.polling_enabled);
  s.duration("creation_interval_ms", b.creation_interval, 100, 86'400'000);
  s.duration("polling_interval_ms", b.polling_interval, 100, 86'400'000);
  s.integer("max_lines_per_file", b.max_lines_per_file, 1, 50000);
  s.integer("max_file_bytes", b.max_file_bytes, 1024, 200LL << 20);
  s.str("completion_window", b.completion_window, true);
  s.choice("on_batch_failure", b.on_batch_failure,
           {std::pair{std::string_view("requeue"), batch_failure_policy::requeue}, {"fail", batch_failure_policy::fail}});
  s.integer("max_requeues", b.max_requeues, 0, 1000);
  s.integer("mapping_chunk", b.mapping_chunk, 1, 100000);
  s.finish();
  if (!s.failed() && b.completion_window != "24h")
    s.fail("batch.completion_window: the Batch API supports only \"24h\"");
}

void check_stage_providers(config& cfg, std::optional<error>& err) {
  auto fail = [&](std::string msg) {
    if (!err) err = make_error(errc::validation_failed, "config: " + std::move(msg));
  };
  std::vector<std::string> used;
  for (auto& [pname, p] : cfg.pipelines) {
    for (const auto& s : p.stages()) {
      const std::string key = format("pipelines.{}.stages.{}", pname, s.name);
      const bool external = s.backend == "http" || s.backend == "batch";
      // A batch's records are the node's, not a workspace's: they would not
      // follow a handoff (docs/cluster.md, "Not built").
      if (s.backend == "batch" && cfg.cluster.enabled)
        return fail(key + ".backend: \"batch\" is not available with cluster.enabled yet (use \"http\")");
      if (!external) {
        if (!s.provider.empty()) return fail(key + ".provider: only the http and batch backends call a provider");
        if (!s.model.empty()) return fail(key + ".model: only the http and batch backends take a model");
        continue;
      }
      const std::string provider = s.provider.empty() ? "openai" : s.provider;
      auto it = cfg.providers.find(provider);
      if (it == cfg.providers.end()) {
        std::string names;
        for (auto& [n, v] : cfg.providers) names += (names.empty() ? "" : ", ") + n;
        return fail(format("{}.provider: no provider '{}' (configured: {})", key, provider, names));
      }
      if (std::find(used.begin(), used.end(), provider) == used.end()) used.push_back(provider);
    }
  }
  for (const auto& name : used) {
    const auto& p = cfg.providers.at(name);
    if (p.api_key.empty() && !p.api_key_env.empty())
      return fail(format("providers.{0}: no API key: set {1} (or PIPEWRIGHT_PROVIDERS__{2}__API_KEY); a provider that "
                         "takes none says api_key_env = \"\"",
                         name, p.api_key_env, upper(name)));
  }
}

}  // namespace pw::core::toml_config
