#include "stages/asset/ocr.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <cmath>
#include <memory>

#include <fmt/format.h>
#include <leptonica/allheaders.h>
#include <tesseract/baseapi.h>
#include <tesseract/resultiterator.h>

#include "stages/asset/image.hpp"

namespace pw::stages::asset {

namespace {

struct engine {
  std::string languages;
  std::unique_ptr<tesseract::TessBaseAPI> api;
};

// One Tesseract engine per thread: an engine is not thread-safe, and
// loading its models takes seconds, so each pool thread keeps its own.
core::result<tesseract::TessBaseAPI*> thread_engine(const std::string& languages) {
  thread_local engine e;
  if (e.api && e.languages == languages) return e.api.get();
  setMsgSeverity(L_SEVERITY_NONE);  // Leptonica's own stderr messages; failures show in the reading
  auto api = std::make_unique<tesseract::TessBaseAPI>();
  if (api->Init(nullptr, languages.c_str(), tesseract::OEM_LSTM_ONLY) != 0)
    return core::make_error(core::errc::internal,
                            fmt::format("Tesseract could not load the languages '{}' (are the tesseract-ocr-* "
                                        "packages installed?)",
                                        languages));
  api->SetVariable("debug_file", "/dev/null");  // no "Estimating resolution" lines on stderr
  e.api = std::move(api);
  e.languages = languages;
  return e.api.get();
}

void set_image(tesseract::TessBaseAPI* api, const raster& grey) {
  api->SetImage(grey.pixels.data(), grey.width, grey.height, 1, grey.width);
  api->SetSourceResolution(300);
}

std::string trim(const char* text) {
  std::string s = text ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  return s.substr(i);
}

page_reading read_once(tesseract::TessBaseAPI* api, const raster& grey, bool sparse) {
  page_reading page;
  page.page_height = grey.height;
  set_image(api, grey);
  api->SetPageSegMode(sparse ? tesseract::PSM_SPARSE_TEXT : tesseract::PSM_AUTO);
  if (api->Recognize(nullptr) != 0) return page;
  std::unique_ptr<tesseract::ResultIterator> it(api->GetIterator());
  double conf_sum = 0;
  if (it) {
    do {
      if (it->Empty(tesseract::RIL_TEXTLINE)) continue;
      std::unique_ptr<char[]> text(it->GetUTF8Text(tesseract::RIL_TEXTLINE));
      auto t = trim(text.get());
      if (t.empty()) continue;
      int x1, y1, x2, y2;
      it->BoundingBox(tesseract::RIL_TEXTLINE, &x1, &y1, &x2, &y2);
      page.lines.push_back(read_line{t, it->Confidence(tesseract::RIL_TEXTLINE) / 100.0, y2 - y1});
    } while (it->Next(tesseract::RIL_TEXTLINE));
  }
  std::unique_ptr<tesseract::ResultIterator> words(api->GetIterator());
  if (words) {
    do {
      if (words->Empty(tesseract::RIL_WORD)) continue;
      conf_sum += words->Confidence(tesseract::RIL_WORD);
      ++page.words;
    } while (words->Next(tesseract::RIL_WORD));
  }
  page.confidence = page.words ? conf_sum / static_cast<double>(page.words) / 100.0 : 0.0;
  return page;
}

// How good a reading is: confident words, and some of them.
double quality(const page_reading& p) {
  std::size_t letters = 0;
  for (const auto& l : p.lines)
    for (char c : l.text)
      if (std::isalnum(static_cast<unsigned char>(c))) ++letters;
  return p.confidence * std::log1p(static_cast<double>(letters));
}

// The turns worth trying for this picture, most likely first: the tilt of
// its lines levelled, upright or on either side (the lines' direction says
// which is likelier; a card standing on end looks vertical too).
std::vector<double> turns_for(const raster& grey) {
  // The tilt is estimated on a small copy: lines show at any size.
  const double side = std::max(grey.width, grey.height);
  raster small = side > 480 ? crop(grey, 0, 0, grey.width, grey.height, 480.0 / side) : grey;
  const double a = text_angle(small);
  const double tilt = a > 45 ? a - 90 : a < -45 ? a + 90 : a;
  if (std::abs(a) > 45) return {90 - tilt, -90 - tilt, -tilt};
  return {-tilt, 90 - tilt, -90 - tilt};
}

// Enough text read with enough confidence to stop trying other turns.
bool good(const page_reading& p) {
  std::size_t letters = 0;
  for (const auto& l : p.lines)
    for (char c : l.text)
      if (std::isalpha(static_cast<unsigned char>(c))) ++letters;
  return p.confidence >= 0.7 && letters >= 6;
}

core::result<page_reading> read_levelled(const raster& grey, const std::string& languages,
                                         const std::function<page_reading(tesseract::TessBaseAPI*, const raster&)>& read) {
  auto api = thread_engine(languages);
  if (!api) return std::move(api).err();
  auto turns = turns_for(grey);
  turns.push_back(turns.front() + 180);  // upside down: the last resort
  std::vector<page_reading> readings;
  for (double t : turns) {
    auto r = read(api.value(), rotate(grey, t));
    r.rotation = t;
    const bool done = good(r);
    readings.push_back(std::move(r));
    if (done) break;
  }
  api.value()->Clear();
  auto best = std::max_element(readings.begin(), readings.end(),
                               [](const auto& a, const auto& b) { return quality(a) < quality(b); });
  page_reading out = std::move(*best);
  for (auto& r : readings)
    if (&r != &*best && !r.lines.empty()) out.alternatives.push_back(std::move(r));
  return out;
}

}  // namespace

core::result<void> warm_up(const std::string& languages) {
  auto api = thread_engine(languages);
  if (!api) return std::move(api).err();
  return core::ok();
}

core::result<page_reading> read_page(const raster& grey, const std::string& languages, reading_options options) {
  auto api = thread_engine(languages);
  if (!api) return std::move(api).err();
  // 0: Otsu, 2: Sauvola (Tesseract 5's thresholding_method); the engine is
  // shared by the thread's stages, so it is set for every reading.
  api.value()->SetVariable("thresholding_method", options.local_threshold ? "2" : "0");
  auto read = [sparse = options.sparse](tesseract::TessBaseAPI* a, const raster& g) { return read_once(a, g, sparse); };
  if (!options.denoise) return read_levelled(grey, languages, read);
  return read_levelled(denoise(grey), languages, read);
}

}  // namespace pw::stages::asset
