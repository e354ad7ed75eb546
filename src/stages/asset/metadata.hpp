// An asset's metadata as GET /api/v1/assets/{id} and asset_processed show it,
// put together from its stage results: brand, model and their confidences
// (extract), format, dimensions, dominant colours, perceptual hash and
// quality (decode), the text read (ocr), duplicates among the owner's assets
// (duplicate). Fields of stages that did not complete are left out.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

namespace pw::stages::asset {

using result_lookup = std::function<const boost::json::object*(std::string_view stage)>;

boost::json::object asset_metadata(const result_lookup& result, std::string_view category);

}  // namespace pw::stages::asset
