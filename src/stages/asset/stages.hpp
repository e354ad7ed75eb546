// The asset pipeline's stage backends (DESIGN §2, §6):
//   backend "image" (built in; options.kind or the stage's name):
//     decode     {format, width, height, orientation, bytes, megapixels, phash, dominant_colors, quality}
//     ocr        {text, lines: [{text, confidence, height}], confidence, words, rotation, languages}
//     vision     {source: "builtin", labels: [{text, confidence, prominence}], rotation}
//     extract    {category, brand, model, confidence: {brand, model}, source: {...}, read_as: {...}}
//     duplicate  {phash, duplicate_of, distance, isDuplicate, duplicates: [{asset_id, distance}]}
//   backend "worker": an external analysis worker over HTTP (worker_stage.hpp).
// Image stages run on the image pool, never on the caller's thread; their
// run() is the same computation done in place (the quality tool calls it).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/pipeline.hpp"
#include "core/result.hpp"
#include "stages/asset/services.hpp"
#include "stages/stage.hpp"

namespace pw::stages::asset {

inline constexpr std::string_view image_kinds[] = {"decode", "ocr", "vision", "extract", "duplicate"};

core::result<std::shared_ptr<stage_backend>> make_image_backend(std::string_view kind, const core::stage_spec& spec,
                                                                const std::string& key, const services& svc);

// The asset's category, from the item's metadata ("" when absent).
std::string category_of(const core::item& it);

}  // namespace pw::stages::asset
