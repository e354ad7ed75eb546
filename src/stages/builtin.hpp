// The `builtin` backend: the offline AI stages of src/stages/ai/ behind the
// stage_backend interface. Results (field names shared with `synthetic`
// where they mean the same):
//   embed      {"language","dim","encoding":"f32le-base64","vector":"<base64>","tokens"}
//   sentiment  {"label": positive|neutral|negative, "score": [-1,1], "language"}
//   urgency    {"level": low|medium|high|critical, "score": [0,1], "reason"}
//   classify   {"label": bug|feature_request|question|praise|complaint|billing, "confidence"}
//   duplicate  {"duplicate_of": id|null, "similarity", "isDuplicate", "duplicates", "group"}
//   theme      {"theme_id", "label", "themes": [label], "new"}
//   priority   {"score": 0..100, "bucket": P1|P2|P3}
// Options (stage `options` table; anything else is refused with its key):
//   embed.dim (16..4096, default 256); duplicate.threshold (0..1, default
//   0.45), duplicate.candidates (1..100, 10), duplicate.ef (8..2000, 40),
//   duplicate.m (4..64, 12); theme.threshold (0..1, 0.5),
//   theme.split_threshold (0..1, 0.2).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/pipeline.hpp"
#include "core/result.hpp"
#include "stages/ai/model_file.hpp"
#include "stages/stage.hpp"

namespace pw::stages::builtin {

inline constexpr std::string_view kinds[] = {"embed", "classify", "sentiment", "urgency", "duplicate", "theme", "priority"};

// `key` names the stage in errors ("pipelines.feedback.stages.duplicate").
// `models`: the learned models to use (they must outlive the stage); null
// for the ones built into the binary (builtin_models.hpp). The quality tool
// passes another file to evaluate a model trained without some batches.
core::result<std::shared_ptr<stage_backend>> make(std::string_view kind, const core::stage_spec& spec,
                                                  const std::string& key, const ai::model_file* models = nullptr);

}  // namespace pw::stages::builtin
