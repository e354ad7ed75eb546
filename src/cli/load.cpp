#include "cli/load.hpp"

namespace pw::embedded {
std::string_view pipewright_toml();
}

namespace pw::cli {

core::result<core::config> load(const std::optional<std::string>& file, const std::optional<std::string>& listen,
                                const std::optional<std::string>& data_dir) {
  auto cfg = core::load_config(embedded::pipewright_toml(), file, core::process_env());
  if (!cfg) return cfg;
  if (listen) {
    auto l = core::parse_listen(*listen, "--listen");
    if (!l) return std::move(l).err();
    cfg->server.listen = l.value();
  }
  if (data_dir) {
    if (data_dir->empty()) return core::make_error(core::errc::validation_failed, "--data-dir: must not be empty");
    cfg->server.data_dir = *data_dir;
  }
  return cfg;
}

}  // namespace pw::cli
