// The brand and model dictionary of the asset pipeline (config/assets/
// brands.toml): one table per category, one entry per brand with its models
// and other spellings. Parsed once at start; every error names its key.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace pw::stages::asset {

struct brand_entry {
  std::string name;                  // as shown ("TAG Heuer")
  std::vector<std::string> aliases;  // other spellings printed on products
  std::vector<std::string> models;
};

struct category_entry {
  std::string name;  // [a-z0-9_], e.g. "watch"
  std::vector<brand_entry> brands;
};

class dictionary {
 public:
  // `source` names the file in errors ("assets.dictionary (brands.toml)").
  static core::result<dictionary> parse(std::string_view toml_text, std::string_view source);

  const category_entry* category(std::string_view name) const noexcept;
  // Sorted.
  const std::vector<std::string>& category_names() const noexcept { return names_; }
  std::size_t brand_count() const noexcept;

 private:
  std::vector<category_entry> categories_;
  std::vector<std::string> names_;
};

}  // namespace pw::stages::asset
