#include "core/config.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include "core/config_toml.hpp"

extern char** environ;

namespace pw::core {

namespace {

using fmt::format;
using toml_config::section;

void read_retry(section& s, retry_policy& r, millis& timeout) {
  s.integer("max_attempts", r.max_attempts, 1, 100);
  s.duration("initial_backoff_ms", r.initial_backoff, 0, 86'400'000);
  s.number("multiplier", r.multiplier, 1.0, 100.0);
  s.duration("max_backoff_ms", r.max_backoff, 0, 86'400'000);
  s.number("jitter", r.jitter, 0.0, 1.0);
  s.duration("timeout_ms", timeout, 1, 86'400'000);
  if (!s.failed() && r.max_backoff < r.initial_backoff)
    s.fail(format("{}: must be at least initial_backoff_ms ({})", s.key("max_backoff_ms"), r.initial_backoff.count()));
}

chaos_spec read_chaos(section& c) {
  chaos_spec x;
  c.integer("seed", x.seed, 0, INT64_MAX);
  c.choice("latency", x.latency.distribution,
           {std::pair{std::string_view("none"), latency_distribution::none}, {"fixed", latency_distribution::fixed},
            {"uniform", latency_distribution::uniform}, {"exponential", latency_distribution::exponential}});
  c.duration("latency_min_ms", x.latency.min, 0, 3'600'000);
  c.duration("latency_max_ms", x.latency.max, 0, 3'600'000);
  c.duration("latency_mean_ms", x.latency.mean, 0, 3'600'000);
  c.number("transient_rate", x.transient_rate, 0, 1);
  c.number("permanent_rate", x.permanent_rate, 0, 1);
  c.number("throw_rate", x.throw_rate, 0, 1);
  c.number("hang_rate", x.hang_rate, 0, 1);
  c.integer("fail_first", x.fail_first, 0, 1000);
  c.choice("fail_first_effect", x.fail_first_effect,
           {std::pair{std::string_view("transient"), chaos_effect::transient}, {"permanent", chaos_effect::permanent},
            {"throw", chaos_effect::throw_error}, {"hang", chaos_effect::hang}});
  c.finish();
  if (c.failed()) return x;
  if (x.transient_rate + x.permanent_rate + x.throw_rate + x.hang_rate > 1.0 + 1e-9)
    c.fail(format("{}: transient_rate + permanent_rate + throw_rate + hang_rate must not exceed 1", c.key("")));
  if (x.latency.distribution == latency_distribution::uniform && x.latency.max < x.latency.min)
    c.fail(format("{}: must be at least latency_min_ms", c.key("latency_max_ms")));
  return x;
}

void read_options(section& s, const toml::table* t, std::map<std::string, option_value>& out) {
  if (!t) return;
  for (auto& [k, n] : *t) {
    std::string name(k.str());
    if (auto b = n.as_boolean()) out[name] = b->get();
    else if (auto i = n.as_integer()) out[name] = i->get();
    else if (auto f = n.as_floating_point()) out[name] = f->get();
    else if (auto str = n.as_string()) out[name] = str->get();
    else return s.fail(format("{}.{}: options are strings, numbers or booleans", s.key("options"), name));
  }
}

std::optional<pipeline> read_pipeline(const std::string& name, const toml::table& t, const retry_policy& retry,
                                      millis timeout, std::optional<error>& err) {
  const std::string path = "pipelines." + name;
  if (!valid_identifier(name)) {
    err = make_error(errc::validation_failed, format("config: {}: pipeline names are [a-z0-9_], 1-32 characters", path));
    return std::nullopt;
  }
  section ps(&t, path, err);
  auto* stages_table = ps.table("stages", true);
  ps.finish();
  if (err) return std::nullopt;
  std::vector<stage_spec> specs;
  for (auto& [k, n] : *stages_table) {
    std::string stage_path = path + ".stages." + std::string(k.str());
    auto* st = n.as_table();
    if (!st) {
      err = make_error(errc::validation_failed, format("config: {}: expected a table", stage_path));
      return std::nullopt;
    }
    section s(st, stage_path, err);
    stage_spec spec;
    spec.name = std::string(k.str());
    spec.retry = retry;
    spec.timeout = timeout;
    s.str("backend", spec.backend, true);
    if (!s.failed() && spec.backend.empty()) s.fail(format("{}: missing (e.g. \"synthetic\")", s.key("backend")));
    s.strings("after", spec.after);
    s.str("provider", spec.provider, true);
    s.str("model", spec.model, true);
    spec.resumable = spec.backend == "batch";
    read_retry(s, spec.retry, spec.timeout);
    if (auto* c = s.table("chaos")) {
      section cs(c, s.key("chaos"), err);
      spec.chaos = read_chaos(cs);
    }
    read_options(s, s.table("options"), spec.options);
    s.finish();
    if (err) return std::nullopt;
    specs.push_back(std::move(spec));
  }
  auto built = build_pipeline(name, std::move(specs), path + ".stages");
  if (!built) {
    auto e = built.err();
    e.message = "config: " + e.message;
    err = std::move(e);
    return std::nullopt;
  }
  return std::move(built).value();
}

}  // namespace

result<listen_address> parse_listen(std::string_view text, std::string_view key) {
  auto bad = [&] {
    return make_error(errc::validation_failed, format("config: {}: expected HOST:PORT, got \"{}\"", key, text));
  };
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return bad();
  std::string_view host = text.substr(0, colon), port = text.substr(colon + 1);
  if (host.front() == '[') {
    if (host.back() != ']' || host.size() < 3) return bad();
    host = host.substr(1, host.size() - 2);
  }
  if (port.empty() || port.size() > 5) return bad();
  unsigned value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return bad();
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535) return bad();
  return listen_address{std::string(host), static_cast<std::uint16_t>(value)};
}

result<config> load_config(std::string_view defaults_toml, const std::optional<std::string>& file_path,
                           const env_map& env) {
  if (!file_path) return load_config_text(defaults_toml, std::nullopt, {}, env);
  std::ifstream in(*file_path);
  if (!in) return make_error(errc::validation_failed, format("config: cannot read file {}", *file_path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return load_config_text(defaults_toml, buffer.str(), *file_path, env);
}

result<config> load_config_text(std::string_view defaults_toml, std::optional<std::string_view> file_text,
                                std::string_view file_name, const env_map& env) {
  auto base = toml_config::parse(defaults_toml, "defaults");
  if (!base) return std::move(base).err();
  toml::table root = std::move(base).value();
  if (file_text) {
    auto over = toml_config::parse(*file_text, file_name);
    if (!over) return std::move(over).err();
    toml_config::merge(root, over.value(), "");
  }
  if (auto r = toml_config::refuse_file_secrets(root); !r) return std::move(r).err();
  if (auto r = toml_config::apply_env(root, env); !r) return std::move(r).err();

  std::optional<error> err;
  config cfg;
  section top(&root, "", err);

  section server(top.table("server"), "server", err);
  std::string listen = "127.0.0.1:8080";
  server.str("listen", listen, true);
  if (!err) {
    auto l = parse_listen(listen, "server.listen");
    if (!l) return std::move(l).err();
    cfg.server.listen = l.value();
  }
  server.str("data_dir", cfg.server.data_dir, true);
  server.integer("io_threads", cfg.server.io_threads, 1, 64);
  server.integer("ws_threads", cfg.server.ws_threads, 0, 64);
  server.duration("drain_timeout_ms", cfg.server.drain_timeout, 0, 600'000);
  server.integer("max_connections", cfg.server.max_connections, 1, 1'000'000);
  server.finish();

  section limits(top.table("limits"), "limits", err);
  limits.integer("max_body_bytes", cfg.limits.max_body_bytes, 1024, 1LL << 30);
  limits.integer("max_json_depth", cfg.limits.max_json_depth, 2, 1024);
  limits.integer("max_text_bytes", cfg.limits.max_text_bytes, 1, 1LL << 30);
  limits.integer("max_title_bytes", cfg.limits.max_title_bytes, 1, 1LL << 20);
  limits.integer("max_metadata_bytes", cfg.limits.max_metadata_bytes, 2, 1LL << 30);
  limits.integer("ws_send_queue", cfg.limits.ws_send_queue, 1, 1'000'000);
  limits.integer("ws_send_buffer_bytes", cfg.limits.ws_send_buffer_bytes, 0, 64LL << 20);
  limits.integer("ws_max_frame_bytes", cfg.limits.ws_max_frame_bytes, 16, 64LL << 20);
  limits.number("ws_max_messages_per_s", cfg.limits.ws_max_messages_per_s, 0.1, 1e6);
  limits.duration("ws_idle_timeout_ms", cfg.limits.ws_idle_timeout, 200, 3'600'000);
  limits.number("submit_rate_per_user", cfg.limits.submit_rate_per_user, 0, 1e9);
  limits.number("submit_burst", cfg.limits.submit_burst, 1, 1e9);
  limits.duration("header_timeout_ms", cfg.limits.header_timeout, 100, 3'600'000);
  limits.number("auth_failures_per_s", cfg.limits.auth_failures_per_s, 0, 1e9);
  limits.number("auth_failure_burst", cfg.limits.auth_failure_burst, 1, 1e9);
  limits.duration("auth_refusal_delay_ms", cfg.limits.auth_refusal_delay, 0, 60'000);
  limits.integer("max_import_bytes", cfg.limits.max_import_bytes, 1024, 1LL << 40);
  limits.finish();

  section auth(top.table("auth"), "auth", err);
  auth.str("jwt_secret", cfg.auth.jwt_secret, true);
  auth.integer("token_ttl_s", cfg.auth.token_ttl_s, 1, 10LL * 365 * 86400);
  auth.finish();
  if (!err && cfg.auth.jwt_secret.size() < 16)
    auth.fail("auth.jwt_secret: must be at least 16 characters");

  section store(top.table("store"), "store", err);
  store.boolean("sync", cfg.store.sync);
  store.integer("event_retention", cfg.store.event_retention, 1, 100'000'000);
  store.integer("event_max_age_ms", cfg.store.event_max_age_ms, 1000, 365LL * 86'400'000);
  store.integer("idempotency_retention_ms", cfg.store.idempotency_retention_ms, 1000, 365LL * 86'400'000);
  store.integer("block_cache_mb", cfg.store.block_cache_mb, 1, 1 << 20);
  store.integer("write_buffer_mb", cfg.store.write_buffer_mb, 1, 4096);
  store.integer("min_free_mb", cfg.store.min_free_mb, 0, 1 << 20);
  store.finish();

  section actors(top.table("actors"), "actors", err);
  actors.integer("scheduler_threads", cfg.actors.scheduler_threads, 1, 256);
  actors.integer("scheduler_poll_us", cfg.actors.scheduler_poll_us, 0, 1'000'000);
  actors.integer("scheduler_steal_ms", cfg.actors.scheduler_steal_ms, 1, 1000);
  actors.integer("max_active", cfg.actors.max_active, 1, 10'000'000);
  actors.integer("max_active_per_workspace", cfg.actors.max_active_per_workspace, 0, 10'000'000);
  actors.integer("max_queued", cfg.actors.max_queued, 1, 1'000'000'000);
  actors.finish();

  section assets(top.table("assets"), "assets", err);
  assets.str("dictionary", cfg.assets.dictionary);
  assets.integer("max_image_bytes", cfg.assets.max_image_bytes, 1024, 1LL << 30);
  assets.integer("max_pixels", cfg.assets.max_pixels, 256, 1'000'000'000);
  assets.integer("min_side", cfg.assets.min_side, 1, 4096);
  assets.integer("image_threads", cfg.assets.image_threads, 1, 64);
  assets.integer("image_queue", cfg.assets.image_queue, 1, 10'000'000);
  assets.str("ocr_languages", cfg.assets.ocr_languages, true);
  assets.integer("duplicate_distance", cfg.assets.duplicate_distance, 0, 32);
  assets.duration("signed_url_ttl_ms", cfg.assets.signed_url_ttl, 1000, 7LL * 86'400'000);
  assets.str("public_url", cfg.assets.public_url);
  assets.finish();
  if (!err && !cfg.assets.public_url.empty() && cfg.assets.public_url.rfind("http://", 0) != 0 &&
      cfg.assets.public_url.rfind("https://", 0) != 0)
    assets.fail("assets.public_url: expected http://HOST:PORT or https://... (or empty)");
  if (!err && cfg.assets.ocr_languages.find_first_not_of("abcdefghijklmnopqrstuvwxyz_+") != std::string::npos)
    assets.fail("assets.ocr_languages: expected Tesseract language codes joined by + (e.g. \"eng+spa+deu\")");

  section notifier(top.table("notifier"), "notifier", err);
  notifier.choice("stage_events", cfg.stage_events,
                  {std::pair{std::string_view("all"), stage_events_mode::all}, {"settled", stage_events_mode::settled},
                   {"none", stage_events_mode::none}});
  notifier.finish();

  section log(top.table("log"), "log", err);
  log.str("level", cfg.log_level);
  log.choice("format", cfg.log_format,
             {std::pair{std::string_view("text"), log_encoding::text}, {"json", log_encoding::json}});
  log.finish();
  if (!err) {
    static constexpr std::string_view levels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
    if (std::find(std::begin(levels), std::end(levels), cfg.log_level) == std::end(levels))
      log.fail("log.level: expected one of trace, debug, info, warn, error, critical, off");
  }

  section cluster(top.table("cluster"), "cluster", err);
  toml_config::read_cluster(cluster, cfg.cluster);
  toml_config::read_providers(top.table("providers"), env, cfg, err);
  toml_config::read_batch(top.table("batch"), cfg.batch, err);

  retry_policy retry;
  millis timeout{30000};
  section sup(top.table("supervision"), "supervision", err);
  read_retry(sup, retry, timeout);
  sup.finish();

  if (auto* pipes = top.table("pipelines", true); pipes && !err) {
    for (auto& [k, n] : *pipes) {
      std::string name(k.str());
      auto* t = n.as_table();
      if (!t) return make_error(errc::validation_failed, format("config: pipelines.{}: expected a table", name));
      auto p = read_pipeline(name, *t, retry, timeout, err);
      if (!p) break;
      cfg.pipelines.emplace(name, std::move(*p));
    }
  }
  top.finish();
  if (!err) toml_config::check_stage_providers(cfg, err);
  if (err) return std::move(*err);
  if (!cfg.pipelines.count("feedback"))
    return make_error(errc::validation_failed, "config: pipelines.feedback: missing (POST /api/v1/items runs it)");
  if (!cfg.pipelines.count("asset"))
    return make_error(errc::validation_failed, "config: pipelines.asset: missing (POST /api/v1/assets runs it)");
  return cfg;
}

env_map process_env() {
  env_map out;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    out.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return out;
}

}  // namespace pw::core
