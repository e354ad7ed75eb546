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

// `assets`: what the asset backends (image, worker) need; without it a
// pipeline that uses them is refused.
core::result<std::map<std::string, pipeline_binding>> bind_pipelines(const core::config& cfg,
                                                                     const store::database& db,
                                                                     const stages::asset::services* assets = nullptr);

}  // namespace pw::actors
