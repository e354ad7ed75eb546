// Loads the config the way every subcommand does: embedded defaults, the
// --config file, the environment, then command-line overrides.
#pragma once

#include <optional>
#include <string>

#include "core/config.hpp"

namespace pw::cli {

core::result<core::config> load(const std::optional<std::string>& file, const std::optional<std::string>& listen = {},
                                const std::optional<std::string>& data_dir = {});

}  // namespace pw::cli
