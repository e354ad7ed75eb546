// The JSON documents of the asset routes, read from an asset's record.
#pragma once

#include <string>

#include "core/pipeline.hpp"
#include "store/record.hpp"

namespace pw::net {

// GET /api/v1/assets/{id}: the asset, its lifecycle status, the upload,
// the metadata its stages produced, the error that failed it, its stages.
std::string render_asset(const store::item_record& rec, const core::pipeline& p);
// One line of a listing.
std::string render_asset_summary(const store::item_record& rec);

}  // namespace pw::net
