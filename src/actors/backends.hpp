// Builds each pipeline stage's backend from config and restores its durable
// state from the store, once, at start.
#pragma once

#include <map>
#include <set>
#include <string>

#include "actors/context.hpp"
#include "core/config.hpp"
#include "core/result.hpp"
#include "store/database.hpp"

namespace pw::actors {

// `hub` serves the http and batch stages (nullptr: none may be configured);
// `assets`: what the asset backends (image, worker) need; without it a
// pipeline that uses them is refused.
core::result<std::map<std::string, pipeline_binding>> bind_pipelines(const core::config& cfg,
                                                                     const store::database& db,
                                                                     stages::providers::hub* hub = nullptr,
                                                                     const stages::asset::services* assets = nullptr);

// (cluster) A handoff brought these workspaces' state: every backend reads
// it (and only it) from the store again.
void restore_workspaces(const std::map<std::string, pipeline_binding>& pipelines, const store::database& db,
                        const std::set<std::string>& workspaces);
// (cluster) These workspaces moved away: backends drop what they keep of them.
void forget_workspaces(const std::map<std::string, pipeline_binding>& pipelines, const std::set<std::string>& workspaces);

}  // namespace pw::actors
