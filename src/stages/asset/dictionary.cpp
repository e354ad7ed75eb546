#include "stages/asset/dictionary.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "core/pipeline.hpp"

namespace pw::stages::asset {

namespace {

core::error bad(std::string_view source, std::string message) {
  return core::make_error(core::errc::validation_failed, fmt::format("config: {}: {}", source, message));
}

// A non-empty array of non-empty strings (at most 200 bytes each).
core::result<std::vector<std::string>> strings(const toml::node* n, std::string_view source, const std::string& key,
                                               bool required) {
  std::vector<std::string> out;
  if (!n) {
    if (required) return bad(source, key + ": missing (an array of strings)");
    return out;
  }
  auto* a = n->as_array();
  if (!a) return bad(source, key + ": expected an array of strings");
  for (const auto& e : *a) {
    auto s = e.value<std::string>();
    if (!s || s->empty() || s->size() > 200) return bad(source, key + ": expected non-empty strings of at most 200 bytes");
    out.push_back(*s);
  }
  if (required && out.empty()) return bad(source, key + ": must hold at least one entry");
  return out;
}

}  // namespace

core::result<dictionary> dictionary::parse(std::string_view toml_text, std::string_view source) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    return bad(source, fmt::format("line {}, column {}: {}", b.line, b.column, e.description()));
  }
  dictionary d;
  for (const auto& [cat_key, cat_node] : root) {
    std::string cat_name(cat_key.str());
    if (!core::valid_identifier(cat_name)) return bad(source, cat_name + ": category names are [a-z0-9_], 1-32 characters");
    auto* cat_table = cat_node.as_table();
    if (!cat_table) return bad(source, cat_name + ": expected a table of brands");
    category_entry cat{cat_name, {}};
    for (const auto& [brand_key, brand_node] : *cat_table) {
      std::string brand_name(brand_key.str());
      const std::string key = cat_name + ".\"" + brand_name + "\"";
      if (brand_name.empty() || brand_name.size() > 100) return bad(source, key + ": brand names are 1-100 bytes");
      auto* t = brand_node.as_table();
      if (!t) return bad(source, key + ": expected a table with `models` (and optional `aliases`)");
      for (const auto& [k, v] : *t)
        if (k.str() != "models" && k.str() != "aliases") return bad(source, key + "." + std::string(k.str()) + ": unknown key");
      auto models = strings(t->get("models"), source, key + ".models", true);
      if (!models) return std::move(models).err();
      auto aliases = strings(t->get("aliases"), source, key + ".aliases", false);
      if (!aliases) return std::move(aliases).err();
      cat.brands.push_back(brand_entry{brand_name, std::move(aliases).value(), std::move(models).value()});
    }
    if (cat.brands.empty()) return bad(source, cat_name + ": a category needs at least one brand");
    d.names_.push_back(cat_name);
    d.categories_.push_back(std::move(cat));
  }
  if (d.categories_.empty()) return bad(source, "no categories");
  std::sort(d.names_.begin(), d.names_.end());
  return d;
}

const category_entry* dictionary::category(std::string_view name) const noexcept {
  for (const auto& c : categories_)
    if (c.name == name) return &c;
  return nullptr;
}

std::size_t dictionary::brand_count() const noexcept {
  std::size_t n = 0;
  for (const auto& c : categories_) n += c.brands.size();
  return n;
}

}  // namespace pw::stages::asset
