// Pixel analysis of a decoded photo, in plain C++ over 8-bit rasters (the
// decode stage gets them from libvips): a 64-bit perceptual hash, dominant
// colours, sharpness and contrast, and the angle the lettering is tilted by.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pw::stages::asset {

// Interleaved 8-bit pixels, row by row: bands 1 (grey) or 3 (RGB).
struct raster {
  int width = 0, height = 0, bands = 1;
  std::vector<std::uint8_t> pixels;
  std::uint8_t at(int x, int y, int band = 0) const noexcept {
    return pixels[(static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x)) *
                      static_cast<std::size_t>(bands) + static_cast<std::size_t>(band)];
  }
};

// DCT perceptual hash (the 8x8 lowest frequencies of a 32x32 grey thumbnail
// against their median): near-identical pictures (re-encoded, resized,
// lightly retouched) differ in a few bits.
std::uint64_t perceptual_hash(const raster& grey);
int hamming(std::uint64_t a, std::uint64_t b) noexcept;
std::string hash_hex(std::uint64_t h);                 // 16 hex digits
bool parse_hash_hex(const std::string& text, std::uint64_t& out) noexcept;

struct colour_share {
  std::uint8_t r = 0, g = 0, b = 0;
  double share = 0;  // of the picture's pixels
  std::string hex() const;
};
// Up to `k` dominant colours by median cut, largest share first.
std::vector<colour_share> dominant_colours(const raster& rgb, int k = 5);

// Variance of the Laplacian (a blurred photo scores low) and the standard
// deviation of grey levels scaled to [0, 1] (a washed-out one scores low).
double sharpness(const raster& grey);
double contrast(const raster& grey);

// The angle, in degrees, by which the picture must be rotated clockwise so
// that its lines of text run horizontally: within [-25, 25], or near ±90 for
// a picture turned on its side (which side is for OCR to tell). 0 when
// nothing looks like lines.
double text_angle(const raster& grey);

}  // namespace pw::stages::asset
