// Internal to src/core: the TOML mechanics behind load_config. A section
// reads one table with type and range checks and reports keys nobody read;
// merge lays one document over another; apply_env sets keys from
// PIPEWRIGHT_* variables.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "core/config.hpp"

namespace pw::core::toml_config {

using fmt::format;

// Reads one TOML table, remembering which keys it consumed so that any other
// key is reported as unknown. The first error wins; later reads are no-ops.
class section {
 public:
  section(const toml::table* t, std::string path, std::optional<error>& err) : t_(t), path_(std::move(path)), err_(err) {}

  std::string key(std::string_view k) const { return path_.empty() ? std::string(k) : path_ + "." + std::string(k); }
  void fail(std::string msg) {
    if (!err_) err_ = make_error(errc::validation_failed, "config: " + std::move(msg));
  }
  bool failed() const { return err_.has_value(); }

  const toml::node* find(std::string_view k) {
    known_.emplace(k);
    return t_ ? t_->get(k) : nullptr;
  }

  void str(std::string_view k, std::string& out, bool non_empty = false) {
    auto* n = find(k);
    if (!n) return;
    if (auto v = n->value<std::string>()) {
      if (non_empty && v->empty()) return fail(format("{}: must not be empty", key(k)));
      out = *v;
    } else {
      fail(format("{}: expected a string", key(k)));
    }
  }

  void boolean(std::string_view k, bool& out) {
    auto* n = find(k);
    if (!n) return;
    if (auto v = n->as_boolean()) out = v->get();
    else fail(format("{}: expected true or false", key(k)));
  }

  template <class Int>
  void integer(std::string_view k, Int& out, std::int64_t lo, std::int64_t hi) {
    auto* n = find(k);
    if (!n) return;
    auto v = n->as_integer();
    if (!v) return fail(format("{}: expected an integer", key(k)));
    if (v->get() < lo || v->get() > hi) return fail(format("{}: {} is out of range [{}, {}]", key(k), v->get(), lo, hi));
    out = static_cast<Int>(v->get());
  }

  void number(std::string_view k, double& out, double lo, double hi) {
    auto* n = find(k);
    if (!n) return;
    double x;
    if (auto f = n->as_floating_point()) x = f->get();
    else if (auto i = n->as_integer()) x = static_cast<double>(i->get());
    else return fail(format("{}: expected a number", key(k)));
    if (!(x >= lo && x <= hi)) return fail(format("{}: {} is out of range [{}, {}]", key(k), x, lo, hi));
    out = x;
  }

  void duration(std::string_view k, millis& out, std::int64_t lo, std::int64_t hi) {
    std::int64_t v = out.count();
    integer(k, v, lo, hi);
    out = millis{v};
  }

  void strings(std::string_view k, std::vector<std::string>& out) {
    auto* n = find(k);
    if (!n) return;
    auto* a = n->as_array();
    if (!a) return fail(format("{}: expected an array of strings", key(k)));
    std::vector<std::string> v;
    for (auto& e : *a) {
      auto s = e.value<std::string>();
      if (!s) return fail(format("{}: expected an array of strings", key(k)));
      v.push_back(*s);
    }
    out = std::move(v);
  }

  template <class Enum, std::size_t N>
  void choice(std::string_view k, Enum& out, const std::pair<std::string_view, Enum> (&options)[N]) {
    std::string text;
    auto* n = find(k);
    if (!n) return;
    if (auto v = n->value<std::string>()) text = *v;
    for (auto& [name, value] : options)
      if (name == text) { out = value; return; }
    std::string names;
    for (auto& [name, value] : options) names += (names.empty() ? "" : ", ") + std::string(name);
    fail(format("{}: expected one of {}", key(k), names));
  }

  // A nested table; `required` reports it when absent.
  const toml::table* table(std::string_view k, bool required = false) {
    auto* n = find(k);
    if (!n) {
      if (required) fail(format("{}: missing table", key(k)));
      return nullptr;
    }
    auto* t = n->as_table();
    if (!t) fail(format("{}: expected a table", key(k)));
    return t;
  }

  void finish() {
    if (!t_ || failed()) return;
    for (auto& [k, v] : *t_)
      if (!known_.count(std::string(k.str()))) return fail(format("{}: unknown key", key(k.str())));
  }

 private:
  const toml::table* t_;
  std::string path_;
  std::optional<error>& err_;
  std::set<std::string, std::less<>> known_;
};

// The [cluster] table (core/config_cluster.cpp).
void read_cluster(section& s, cluster_config& c);

// Lays `over` onto `base`. Tables merge key by key, except a pipeline, which
// the overlay replaces whole (otherwise a file could never drop a stage).
void merge(toml::table& base, const toml::table& over, const std::string& path);
result<toml::table> parse(std::string_view text, std::string_view source);
// PIPEWRIGHT_A__B=value sets a.b (the value is TOML when it parses as such,
// else a string); PIPEWRIGHT_JWT_SECRET sets auth.jwt_secret.
result<void> apply_env(toml::table& root, const env_map& env);

// config_providers.cpp. An API key in a config file (rather than the
// environment) is refused, before the environment is applied.
result<void> refuse_file_secrets(const toml::table& root);
// [providers.*]: "openai" always exists, its URL and key from OPENAI_BASE_URL
// and OPENAI_API_KEY unless the config or PIPEWRIGHT_* set them.
void read_providers(const toml::table* providers, const env_map& env, config& cfg, std::optional<error>& err);
void read_batch(const toml::table* batch, batch_config& b, std::optional<error>& err);
// Every http/batch stage names a configured provider that has its key;
// other backends take no provider or model.
void check_stage_providers(config& cfg, std::optional<error>& err);

}  // namespace pw::core::toml_config
