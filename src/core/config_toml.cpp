#include "core/config_toml.hpp"

#include "core/ascii.hpp"

namespace pw::core::toml_config {

namespace {

void copy_node(toml::table& into, std::string_view k, const toml::node& n) {
  n.visit([&](auto&& x) { into.insert_or_assign(k, x); });
}

}  // namespace

void merge(toml::table& base, const toml::table& over, const std::string& path) {
  for (auto& [k, n] : over) {
    std::string child = path.empty() ? std::string(k.str()) : path + "." + std::string(k.str());
    auto* existing = base.get(k.str());
    bool replace_whole = path == "pipelines";
    if (existing && existing->is_table() && n.is_table() && !replace_whole)
      merge(*existing->as_table(), *n.as_table(), child);
    else
      copy_node(base, k.str(), n);
  }
}

result<toml::table> parse(std::string_view text, std::string_view source) {
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return make_error(errc::validation_failed,
                      format("config: {}:{}:{}: {}", source, where.line, where.column, e.description()));
  }
}

result<void> apply_env(toml::table& root, const env_map& env) {
  for (const auto& [name, value] : env) {
    if (name == "PIPEWRIGHT_JWT_SECRET") {
      auto* auth = root.get("auth");
      if (!auth) {
        root.insert("auth", toml::table{});
        auth = root.get("auth");
      }
      if (!auth->is_table()) return make_error(errc::validation_failed, "config: auth: expected a table");
      auth->as_table()->insert_or_assign("jwt_secret", value);
      continue;
    }
    constexpr std::string_view prefix = "PIPEWRIGHT_";
    if (name.rfind(prefix, 0) != 0 || name.find("__") == std::string::npos) continue;
    std::vector<std::string> parts;
    std::string_view rest = std::string_view(name).substr(prefix.size());
    for (std::size_t pos; (pos = rest.find("__")) != std::string_view::npos; rest.remove_prefix(pos + 2))
      parts.push_back(core::ascii_lower(rest.substr(0, pos)));
    parts.push_back(core::ascii_lower(rest));
    toml::table* t = &root;
    std::string path;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      path += (path.empty() ? "" : ".") + parts[i];
      auto* n = t->get(parts[i]);
      if (!n) {
        t->insert(parts[i], toml::table{});
        n = t->get(parts[i]);
      }
      t = n->as_table();
      if (!t) return make_error(errc::validation_failed, format("config: {} (from {}): not a table", path, name));
    }
    // The value is TOML when it parses as such ("8080", "true", "[\"a\"]"), a string otherwise.
    toml::table parsed;
    try {
      parsed = toml::parse("v = " + value);
    } catch (const toml::parse_error&) {
      parsed.insert_or_assign("v", value);
    }
    copy_node(*t, parts.back(), *parsed.get("v"));
  }
  return ok();
}

}  // namespace pw::core::toml_config
