// The `http` and `batch` stage backends: a stage on an OpenAI-compatible
// provider, called directly (http: one call per attempt, through the
// provider's gate) or through the Batch API (batch: the attempt is
// registered, deferred, and answered once its batch is mapped back).
// Options (the stage's `options` table):
//   kind                   the stage kind when the name is another one
//   prompt_file            a system prompt file instead of config/prompts/<kind>.md
//   max_completion_tokens  chat stages, 1..100000 (default 300)
//   temperature            chat stages, 0..2 (default: the provider's)
//   dimensions             embed, 1..16384 (default: the model's)
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/pipeline.hpp"
#include "core/result.hpp"
#include "stages/providers/hub.hpp"
#include "stages/stage.hpp"

namespace pw::stages::providers {

// `batch`: the Batch API; else direct calls. `key` names the stage in errors.
core::result<std::shared_ptr<stage_backend>> make_external(std::string_view kind, const core::stage_spec& spec,
                                                           const std::string& key, hub& h, bool batch);

}  // namespace pw::stages::providers
