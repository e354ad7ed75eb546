#include "stages/asset/metadata.hpp"

namespace pw::stages::asset {

namespace {

void copy(boost::json::object& out, const boost::json::object& from, std::string_view key, std::string_view as = {}) {
  if (auto* v = from.if_contains(key)) out[as.empty() ? key : as] = *v;
}

}  // namespace

boost::json::object asset_metadata(const result_lookup& result, std::string_view category) {
  boost::json::object out;
  out["category"] = category;
  if (const auto* x = result("extract")) {
    copy(out, *x, "brand");
    copy(out, *x, "model");
    copy(out, *x, "confidence");
    copy(out, *x, "source");
  }
  if (const auto* d = result("decode")) {
    for (auto k : {"format", "content_type", "width", "height", "orientation", "bytes", "megapixels", "dominant_colors",
                   "phash", "quality"})
      copy(out, *d, k);
  }
  if (const auto* o = result("ocr")) {
    if (auto* t = o->if_contains("text"); t && t->is_string()) {
      std::string text(t->as_string());
      if (text.size() > 1000) {
        std::size_t cut = 1000;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // keep UTF-8 whole
        text.resize(cut);
      }
      out["text"] = text;
    }
    copy(out, *o, "confidence", "text_confidence");
  }
  if (const auto* dup = result("duplicate")) {
    copy(out, *dup, "isDuplicate", "is_duplicate");
    copy(out, *dup, "duplicate_of");
    copy(out, *dup, "duplicates");
  }
  return out;
}

}  // namespace pw::stages::asset
