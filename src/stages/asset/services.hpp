// What the asset pipeline's backends need from the node, handed to them
// when they are built: the stored image of an asset, the image pool, the
// brand dictionary, the limits, and signed URLs for external workers.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "stages/asset/dictionary.hpp"
#include "stages/asset/image.hpp"
#include "stages/asset/image_pool.hpp"
#include "stages/asset/signed_url.hpp"

namespace pw::stages::asset {

struct services {
  // The asset's image bytes as stored at upload; nullopt when it is gone.
  std::function<std::optional<std::string>(std::string_view asset_id)> read_image;
  image_pool* pool = nullptr;
  const dictionary* brands = nullptr;
  image_limits limits;
  std::string ocr_languages = "eng+spa+deu";
  int reading_side = 1400;      // longest side of the renderings that are read
  int duplicate_distance = 10;  // pHash bits that may differ between duplicates
  const url_signer* signer = nullptr;
};

}  // namespace pw::stages::asset
