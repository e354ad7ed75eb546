// Builds each pipeline stage's backend from config and restores its durable
// state from the store, once, at start.
#pragma once

#include <map>
#include <string>

#include "actors/context.hpp"
#include "core/config.hpp"
#include "core/result.hpp"
#include "store/database.hpp"

namespace pw::actors {

// `hub` serves the http and batch stages (nullptr: none may be configured).
core::result<std::map<std::string, pipeline_binding>> bind_pipelines(const core::config& cfg,
                                                                     const store::database& db,
                                                                     stages::providers::hub* hub = nullptr);

}  // namespace pw::actors
