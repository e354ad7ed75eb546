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

page_reading read_once(tesseract::TessBaseAPI* api, const raster& grey) {
  page_reading page;
  page.page_height = grey.height;
  set_image(api, grey);
  api->SetPageSegMode(tesseract::PSM_AUTO);
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

// The turns worth trying for this picture, most likely first.
std::vector<double> turns_for(const raster& grey) {
  // The tilt is estimated on a small copy: lines show at any size.
  const double side = std::max(grey.width, grey.height);
  raster small = side > 480 ? crop(grey, 0, 0, grey.width, grey.height, 480.0 / side) : grey;
  const double a = text_angle(small);
  if (std::abs(a) > 45) {
    const double tilt = a > 0 ? a - 90 : a + 90;
    return {-90 - tilt, 90 - tilt};
  }
  return {-a};
}

core::result<page_reading> read_levelled(const raster& grey, const std::string& languages,
                                         const std::function<page_reading(tesseract::TessBaseAPI*, const raster&)>& read) {
  auto api = thread_engine(languages);
  if (!api) return std::move(api).err();
  auto turns = turns_for(grey);
  page_reading best;
  double best_q = -1;
  auto attempt = [&](double turn) {
    auto r = read(api.value(), rotate(grey, turn));
    r.rotation = turn;
    const double q = quality(r);
    if (q > best_q) {
      best_q = q;
      best = std::move(r);
    }
  };
  for (double t : turns) attempt(t);
  // Upside down, or the other side: worth a second look only when the first was poor.
  if (best.confidence < 0.6 || best.words < 2) attempt(turns.front() + 180);
  api.value()->Clear();
  return best;
}

}  // namespace

core::result<void> warm_up(const std::string& languages) {
  auto api = thread_engine(languages);
  if (!api) return std::move(api).err();
  return core::ok();
}

core::result<page_reading> read_page(const raster& grey, const std::string& languages) {
  return read_levelled(grey, languages, read_once);
}

core::result<page_reading> read_prominent_lines(const raster& grey, const std::string& languages, std::size_t max_lines) {
  return read_levelled(grey, languages, [max_lines](tesseract::TessBaseAPI* api, const raster& page) {
    page_reading out;
    out.page_height = page.height;
    set_image(api, page);
    api->SetPageSegMode(tesseract::PSM_AUTO);
    Boxa* boxes = api->GetComponentImages(tesseract::RIL_TEXTLINE, true, nullptr, nullptr);
    if (!boxes) return out;
    struct line_box {
      int x, y, w, h;
    };
    std::vector<line_box> lines;
    for (int i = 0; i < boxaGetCount(boxes); ++i) {
      l_int32 x, y, w, h;
      if (boxaGetBoxGeometry(boxes, i, &x, &y, &w, &h) == 0 && h >= 8 && w >= h) lines.push_back({x, y, w, h});
    }
    boxaDestroy(&boxes);
    std::sort(lines.begin(), lines.end(), [](const auto& a, const auto& b) { return a.h > b.h; });
    if (lines.size() > max_lines) lines.resize(max_lines);
    double conf_sum = 0;
    for (const auto& b : lines) {
      // Enlarged (or reduced) so that the line is about 64 pixels tall.
      const int margin = b.h / 4;
      const double factor = std::clamp(64.0 / b.h, 0.5, 4.0);
      auto part = crop(page, b.x - margin, b.y - margin, b.w + 2 * margin, b.h + 2 * margin, factor);
      set_image(api, part);
      api->SetPageSegMode(tesseract::PSM_SINGLE_LINE);
      std::unique_ptr<char[]> text(api->GetUTF8Text());
      auto t = trim(text.get());
      if (t.empty()) continue;
      const double conf = api->MeanTextConf() / 100.0;
      out.lines.push_back(read_line{t, conf, b.h});
      conf_sum += conf;
      ++out.words;
    }
    out.confidence = out.words ? conf_sum / static_cast<double>(out.words) : 0.0;
    return out;
  });
}

}  // namespace pw::stages::asset
