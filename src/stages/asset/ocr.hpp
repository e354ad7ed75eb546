// Reading text on photos with Tesseract 5 (eng, spa, deu by default): the
// whole page (the ocr stage) and the most prominent lines one by one,
// enlarged (the built-in vision stage). A picture turned on its side or
// tilted is levelled first. Tesseract engines are per thread (the image
// pool's): each thread loads its models on first use.
#pragma once

#include <string>
#include <vector>

#include "core/result.hpp"
#include "stages/asset/pixels.hpp"

namespace pw::stages::asset {

struct read_line {
  std::string text;
  double confidence = 0;  // [0, 1]
  int height = 0;         // pixels, in the rendering that was read
};

struct page_reading {
  std::vector<read_line> lines;  // top to bottom
  double confidence = 0;         // mean over words, [0, 1]
  std::size_t words = 0;
  double rotation = 0;           // degrees the picture was turned (clockwise) to read it
  int page_height = 0;
  // Readings at the other turns tried when the first was poor: which turn
  // is right is left to the dictionary (garbage read sideways matches no
  // brand).
  std::vector<page_reading> alternatives;
};

struct reading_options {
  // Tesseract's sparse-text mode (text anywhere, in any order, as labels
  // are scattered over a product photo) instead of its page layout
  // analysis (blocks and lines, as on a page). Each finds text the other
  // misses: the ocr stage reads as a page, the vision stage sparsely.
  bool sparse = false;
  // Sauvola's local thresholds instead of one global (Otsu) threshold:
  // steadier on noise, shadows and gradients, noisier on fine textures.
  bool local_threshold = false;
  bool denoise = false;  // a 3x3 median first
};

// The text on the picture, line by line with each line's height.
// `languages`: Tesseract's form ("eng+spa+deu").
core::result<page_reading> read_page(const raster& grey, const std::string& languages, reading_options options = {});

// Loads this thread's engine now (the pool warms up its threads with it).
core::result<void> warm_up(const std::string& languages);

}  // namespace pw::stages::asset
