#include "stages/providers/hub.hpp"

#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace pw::embedded_prompts {
std::string_view classify_md();
std::string_view sentiment_md();
std::string_view urgency_md();
std::string_view theme_md();
}  // namespace pw::embedded_prompts

namespace pw::stages::providers {

hub::hub(const core::config& cfg) : cfg_(cfg) {
  for (const auto& [name, p] : cfg.providers) gates_.emplace(name, std::make_unique<provider_gate>(p));
}

hub::~hub() { stop(); }

provider_gate* hub::gate(const std::string& provider) const {
  auto it = gates_.find(provider);
  return it == gates_.end() ? nullptr : it->second.get();
}

core::result<std::string> hub::prompt(std::string_view kind, const std::string& file, const std::string& key) const {
  if (!file.empty()) {
    std::ifstream in(file);
    std::stringstream text;
    if (in) text << in.rdbuf();
    if (!in || text.str().empty())
      return core::make_error(core::errc::validation_failed,
                              fmt::format("config: {}.options.prompt_file: cannot read a prompt from {}", key, file));
    return text.str();
  }
  namespace p = pw::embedded_prompts;
  if (kind == "classify") return std::string(p::classify_md());
  if (kind == "sentiment") return std::string(p::sentiment_md());
  if (kind == "urgency") return std::string(p::urgency_md());
  if (kind == "theme") return std::string(p::theme_md());
  return std::string();
}

void hub::stop() {
  for (auto& [name, g] : gates_) g->stop();
}

}  // namespace pw::stages::providers
