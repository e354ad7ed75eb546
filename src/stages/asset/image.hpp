// Reading uploaded images with libvips: what a file is by its first bytes,
// its header (size, orientation) without decoding it, a full decode that
// refuses truncated files and pictures over the pixel limit with a message a
// person can read, and grey renderings for reading text. Thread-safe; call
// init_image_library() once at start.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "stages/asset/pixels.hpp"

namespace pw::stages::asset {

enum class image_format : std::uint8_t { jpeg, png, webp, gif, tiff };

// By magic bytes only (never the file name or the declared type).
std::optional<image_format> sniff(std::string_view bytes) noexcept;
std::string_view format_name(image_format f) noexcept;  // "jpeg"
std::string_view mime_type(image_format f) noexcept;    // "image/jpeg"
// "JPEG, PNG, WebP, GIF, TIFF"
std::string_view accepted_formats() noexcept;

struct image_limits {
  std::uint64_t max_pixels = 40'000'000;  // width x height
  std::uint32_t min_side = 16;            // a thinner picture shows nothing to analyse
};

struct image_header {
  image_format format = image_format::jpeg;
  std::uint32_t width = 0, height = 0;  // as stored
  int orientation = 1;                  // EXIF 1..8
  // As displayed (EXIF orientation applied).
  std::uint32_t shown_width() const noexcept { return orientation >= 5 ? height : width; }
  std::uint32_t shown_height() const noexcept { return orientation >= 5 ? width : height; }
};

// Reads the header only. Errors: unsupported_media_type (not an image of an
// accepted format), payload_too_large (over the pixel limit: a decompression
// bomb is refused here without decoding it), validation_failed (too small,
// unreadable header).
core::result<image_header> probe(std::string_view bytes, const image_limits& limits);

struct decoded_image {
  image_header header;
  raster rgb;   // longest side <= 256, orientation applied, alpha flattened on white
  raster grey;  // the same in grey
};

// Decodes every pixel (so a truncated or corrupt file fails here, with a
// readable message) into small renderings for hashing and colours.
core::result<decoded_image> decode(std::string_view bytes, const image_limits& limits);

// A grey rendering for reading text: orientation applied, longest side
// `side` (enlarged or reduced), levels stretched between the 1st and 99th
// percentile so that washed-out lettering gets its contrast back.
core::result<raster> grey_for_reading(std::string_view bytes, int side, const image_limits& limits);

// Rotated clockwise by `degrees` about the centre, the corners filled with
// the picture's median grey; for multiples of 90 an exact turn.
raster rotate(const raster& grey, double degrees);
// A 3x3 median: speckle noise goes, edges of letters stay.
raster denoise(const raster& grey);
// The region (x, y, w, h), clipped to the raster, scaled by `factor`.
raster crop(const raster& grey, int x, int y, int w, int h, double factor);

// libvips set up for a pool of our own: one thread per operation, no
// operation cache. Safe to call more than once.
void init_image_library();

}  // namespace pw::stages::asset
