#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <mutex>
#include <unordered_map>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "stages/asset/matcher.hpp"
#include "stages/asset/ocr.hpp"
#include "stages/asset/stages.hpp"

namespace pw::stages::asset {

namespace {

double round3(double x) { return std::round(x * 1000.0) / 1000.0; }

std::string image_gone(const core::item& it) {
  return fmt::format("the image of asset {} is not in the store (the asset was deleted?)", it.id);
}

// Work on the image pool: start() queues run() there, keyed by the item id
// so that older items go first.
class pooled_stage : public stage_backend, public std::enable_shared_from_this<pooled_stage> {
 public:
  explicit pooled_stage(const services& svc) : svc_(svc) {}
  bool asynchronous() const noexcept override { return true; }
  void start(const async_input& in, stage_done done) override {
    auto self = shared_from_this();
    auto job = [self, in, done] {
      stage_outcome out = transient_error("the stage stopped unexpectedly");
      try {
        out = self->run(stage_input{*in.item, *in.upstream, in.attempt});
      } catch (const std::exception& e) {
        out = transient_error(std::string("the stage failed: ") + e.what());
      }
      done(std::move(out));
    };
    if (!svc_.pool || !svc_.pool->submit(in.item->id, std::move(job)))
      done(transient_error("the image pool is full or stopping (assets.image_queue); the attempt is retried"));
  }

 protected:
  const services& svc_;
};

std::optional<std::string> image_of(const services& svc, const core::item& it) {
  if (!svc.read_image) return std::nullopt;
  return svc.read_image(it.id);
}

// Letters read in lines read with at least `min_confidence` (noise reads
// as lines of junk, with little confidence).
std::size_t letters(const page_reading& p, double min_confidence = 0.0) {
  std::size_t n = 0;
  for (const auto& l : p.lines)
    if (l.confidence >= min_confidence)
      for (char c : l.text) n += std::isalpha(static_cast<unsigned char>(c)) ? 1 : 0;
  return n;
}

std::size_t confident_lines(const page_reading& p) {
  return static_cast<std::size_t>(std::count_if(p.lines.begin(), p.lines.end(), [](const read_line& l) {
    return l.confidence >= 0.6 && letters(page_reading{{l}}, 0.0) >= 2;
  }));
}

// One way of reading a picture: its scale (relative to services'
// reading_side) and Tesseract's settings.
struct reading_plan {
  double scale = 1.0;
  reading_options options;
};

// Tesseract finds lettering with one scale and threshold that it misses
// with another, and no one setting reads every photo. A stage tries its
// plans in order until one reads enough; the best reading leads, the others
// stay among its alternatives for the dictionary to weigh. Errors: the
// image's (validation_failed: permanent) or Tesseract's (internal: transient).
core::result<page_reading> read_with(const services& svc, const std::string& bytes, const std::vector<reading_plan>& plans) {
  std::vector<page_reading> readings;
  for (const auto& plan : plans) {
    auto grey = grey_for_reading(bytes, static_cast<int>(svc.reading_side * plan.scale), svc.limits);
    if (!grey) return std::move(grey).err();
    auto r = read_page(grey.value(), svc.ocr_languages, plan.options);
    if (!r) return std::move(r).err();
    const bool enough = letters(r.value(), 0.6) >= 10 && confident_lines(r.value()) >= 2;
    readings.push_back(std::move(r).value());
    if (enough) break;
  }
  auto lead = std::max_element(readings.begin(), readings.end(),
                               [](const auto& a, const auto& b) { return letters(a, 0.6) < letters(b, 0.6); });
  page_reading out = std::move(*lead);
  for (auto& r : readings) {
    if (&r == &*lead) continue;
    for (auto& a : r.alternatives) out.alternatives.push_back(std::move(a));
    r.alternatives.clear();
    if (!r.lines.empty()) out.alternatives.push_back(std::move(r));
  }
  return out;
}

// The ocr stage reads the picture as a page (blocks and lines); the vision
// stage looks for text anywhere (sparse), with local thresholds.
const std::vector<reading_plan> ocr_plans = {
    {1.0, {.sparse = false, .local_threshold = false, .denoise = false}},
    {0.7, {.sparse = false, .local_threshold = true, .denoise = false}},
    {0.57, {.sparse = false, .local_threshold = true, .denoise = false}},
};
const std::vector<reading_plan> vision_plans = {
    {0.7, {.sparse = true, .local_threshold = true, .denoise = false}},
    {1.0, {.sparse = true, .local_threshold = false, .denoise = false}},
    {0.85, {.sparse = true, .local_threshold = true, .denoise = true}},
};

class decode_stage final : public pooled_stage {
 public:
  using pooled_stage::pooled_stage;
  stage_outcome run(const stage_input& in) override {
    auto bytes = image_of(svc_, in.item);
    if (!bytes) return permanent_error(image_gone(in.item));
    auto d = decode(*bytes, svc_.limits);
    if (!d) return permanent_error(d.err().message);
    const auto& h = d->header;
    boost::json::object out;
    out["format"] = std::string(format_name(h.format));
    out["content_type"] = std::string(mime_type(h.format));
    out["width"] = h.shown_width();
    out["height"] = h.shown_height();
    out["orientation"] = h.orientation;
    out["bytes"] = static_cast<std::int64_t>(bytes->size());
    out["megapixels"] = round3(static_cast<double>(h.width) * h.height / 1e6);
    out["phash"] = hash_hex(perceptual_hash(d->grey));
    boost::json::array colours;
    for (const auto& c : dominant_colours(d->rgb, 5)) colours.push_back(boost::json::object{{"hex", c.hex()}, {"share", c.share}});
    out["dominant_colors"] = std::move(colours);
    out["quality"] = boost::json::object{{"sharpness", round3(sharpness(d->grey))}, {"contrast", round3(contrast(d->grey))}};
    return success(std::move(out));
  }
};

boost::json::array lines_json(const page_reading& p, bool prominence) {
  int tallest = 1;
  for (const auto& l : p.lines) tallest = std::max(tallest, l.height);
  boost::json::array out;
  for (const auto& l : p.lines) {
    boost::json::object o{{"text", l.text}, {"confidence", round3(l.confidence)}};
    if (prominence) o["prominence"] = round3(static_cast<double>(l.height) / tallest);
    else o["height"] = l.height;
    out.push_back(std::move(o));
  }
  return out;
}

class ocr_stage final : public pooled_stage {
 public:
  using pooled_stage::pooled_stage;
  stage_outcome run(const stage_input& in) override {
    auto bytes = image_of(svc_, in.item);
    if (!bytes) return permanent_error(image_gone(in.item));
    auto page = read_with(svc_, *bytes, ocr_plans);
    if (!page) return page.err().code == core::errc::internal ? transient_error(page.err().message)
                                                              : permanent_error(page.err().message);
    std::string text;
    for (const auto& l : page->lines) text += (text.empty() ? "" : "\n") + l.text;
    boost::json::object out;
    out["text"] = text;
    out["lines"] = lines_json(page.value(), false);
    boost::json::array others;
    for (const auto& alt : page->alternatives)
      others.push_back(boost::json::object{{"rotation", round3(alt.rotation)}, {"lines", lines_json(alt, false)}});
    out["alternatives"] = std::move(others);
    out["confidence"] = round3(page->confidence);
    out["words"] = static_cast<std::int64_t>(page->words);
    out["rotation"] = round3(page->rotation);
    out["page_height"] = page->page_height;
    out["languages"] = svc_.ocr_languages;
    return success(std::move(out));
  }
};

class vision_stage final : public pooled_stage {
 public:
  using pooled_stage::pooled_stage;
  stage_outcome run(const stage_input& in) override {
    auto bytes = image_of(svc_, in.item);
    if (!bytes) return permanent_error(image_gone(in.item));
    auto page = read_with(svc_, *bytes, vision_plans);
    if (!page) return page.err().code == core::errc::internal ? transient_error(page.err().message)
                                                              : permanent_error(page.err().message);
    boost::json::object out;
    out["source"] = "builtin";
    out["labels"] = lines_json(page.value(), true);
    boost::json::array others;
    for (const auto& alt : page->alternatives)
      others.push_back(boost::json::object{{"rotation", round3(alt.rotation)}, {"labels", lines_json(alt, true)}});
    out["alternatives"] = std::move(others);
    out["rotation"] = round3(page->rotation);
    return success(std::move(out));
  }
};

double number(const boost::json::object& o, std::string_view k, double fallback = 0) {
  auto it = o.find(k);
  return it != o.end() && it->value().is_number() ? it->value().to_number<double>() : fallback;
}

std::string string_of(const boost::json::object& o, std::string_view k) {
  auto it = o.find(k);
  return it != o.end() && it->value().is_string() ? std::string(it->value().as_string()) : std::string();
}

// OCR lines as text_lines; heights become prominence (relative to the tallest).
void add_ocr_lines(const boost::json::value* ls, double weight, std::vector<text_line>& lines) {
  if (!ls || !ls->is_array()) return;
  int tallest = 1;
  for (const auto& l : ls->as_array())
    if (l.is_object()) tallest = std::max(tallest, static_cast<int>(number(l.as_object(), "height")));
  for (const auto& l : ls->as_array()) {
    if (!l.is_object()) continue;
    const auto& o = l.as_object();
    lines.push_back(text_line{string_of(o, "text"), weight * number(o, "confidence"), number(o, "height") / tallest, "ocr"});
  }
}

void add_vision_labels(const boost::json::value* ls, double weight, std::vector<text_line>& lines) {
  if (!ls || !ls->is_array()) return;
  for (const auto& l : ls->as_array()) {
    if (!l.is_object()) continue;
    const auto& o = l.as_object();
    lines.push_back(text_line{string_of(o, "text"), weight * number(o, "confidence"), number(o, "prominence", 0.5), "vision"});
  }
}

// Readings at other turns count, a little less.
constexpr double alternative_weight = 0.85;

// The lines the ocr and vision stages read, and what a worker answered.
void gather(const stage_results& up, std::vector<text_line>& lines, std::optional<external_guess>& guess) {
  if (const auto* ocr = up.find("ocr")) {
    add_ocr_lines(ocr->if_contains("lines"), 1.0, lines);
    if (auto* alts = ocr->if_contains("alternatives"); alts && alts->is_array())
      for (const auto& a : alts->as_array())
        if (a.is_object()) add_ocr_lines(a.as_object().if_contains("lines"), alternative_weight, lines);
  }
  if (const auto* vision = up.find("vision")) {
    add_vision_labels(vision->if_contains("labels"), 1.0, lines);
    if (auto* alts = vision->if_contains("alternatives"); alts && alts->is_array())
      for (const auto& a : alts->as_array())
        if (a.is_object()) add_vision_labels(a.as_object().if_contains("labels"), alternative_weight, lines);
    if (vision->contains("brand") || vision->contains("model")) {
      external_guess g;
      g.brand = string_of(*vision, "brand");
      g.model = string_of(*vision, "model");
      if (auto* c = vision->if_contains("confidence"); c && c->is_object()) {
        g.brand_confidence = number(c->as_object(), "brand");
        g.model_confidence = number(c->as_object(), "model");
      }
      guess = g;
    }
  }
}

boost::json::value field_or_null(const std::optional<field_match>& f, std::string_view part) {
  if (!f) return nullptr;
  if (part == "value") return boost::json::value(f->value);
  if (part == "confidence") return boost::json::value(f->confidence);
  if (part == "source") return boost::json::value(f->source);
  return boost::json::value(f->read_as);
}

class extract_stage final : public pooled_stage {
 public:
  extract_stage(const services& svc, match_options opts) : pooled_stage(svc), opts_(opts) {}
  stage_outcome run(const stage_input& in) override {
    const auto category = category_of(in.item);
    const auto* cat = svc_.brands ? svc_.brands->category(category) : nullptr;
    if (!cat) return permanent_error(fmt::format("the category '{}' is not in the brand dictionary", category));
    std::vector<text_line> lines;
    std::optional<external_guess> guess;
    gather(in.upstream, lines, guess);
    auto x = extract(*cat, lines, guess, opts_);
    boost::json::object out;
    out["category"] = category;
    out["brand"] = field_or_null(x.brand, "value");
    out["model"] = field_or_null(x.model, "value");
    out["confidence"] = boost::json::object{{"brand", x.brand ? x.brand->confidence : 0.0},
                                            {"model", x.model ? x.model->confidence : 0.0}};
    out["source"] = boost::json::object{{"brand", field_or_null(x.brand, "source")}, {"model", field_or_null(x.model, "source")}};
    out["read_as"] = boost::json::object{{"brand", field_or_null(x.brand, "read_as")}, {"model", field_or_null(x.model, "read_as")}};
    return success(std::move(out));
  }

 private:
  match_options opts_;
};

// The owner's assets by perceptual hash. Durable state: "h/<owner>/<asset id>" -> hash (hex).
class duplicate_stage final : public pooled_stage {
 public:
  using pooled_stage::pooled_stage;
  void restore(const state_reader& r) override {
    r.scan("h/", [&](std::string_view k, std::string_view v) {
      auto rest = k.substr(2);
      auto slash = rest.rfind('/');
      std::uint64_t h = 0;
      if (slash == std::string_view::npos || !parse_hash_hex(std::string(v), h)) return;
      std::lock_guard lock(mu_);
      by_owner_[std::string(rest.substr(0, slash))].emplace_back(std::string(rest.substr(slash + 1)), h);
    });
  }

  stage_outcome run(const stage_input& in) override {
    const auto* decoded = in.upstream.find("decode");
    std::uint64_t h = 0;
    if (!decoded || !parse_hash_hex(string_of(*decoded, "phash"), h))
      return permanent_error("the duplicate stage needs the perceptual hash of the decode stage");
    std::vector<std::pair<int, std::string>> near;  // (distance, asset id)
    {
      std::lock_guard lock(mu_);
      auto& mine = by_owner_[in.item.owner];
      mine.erase(std::remove_if(mine.begin(), mine.end(), [&](const auto& e) { return e.first == in.item.id; }), mine.end());
      for (const auto& [id, other] : mine) {
        const int d = hamming(h, other);
        if (d <= svc_.duplicate_distance) near.emplace_back(d, id);
      }
      mine.emplace_back(in.item.id, h);
    }
    // The earliest accepted (lowest id) of the closest is the original.
    std::sort(near.begin(), near.end());
    if (near.size() > 10) near.resize(10);
    boost::json::array dups;
    for (const auto& [d, id] : near) dups.push_back(boost::json::object{{"asset_id", id}, {"distance", d}});
    boost::json::object out;
    out["phash"] = hash_hex(h);
    out["isDuplicate"] = !near.empty();
    out["duplicate_of"] = near.empty() ? boost::json::value(nullptr) : boost::json::value(near.front().second);
    out["distance"] = near.empty() ? boost::json::value(nullptr) : boost::json::value(near.front().first);
    out["duplicates"] = std::move(dups);
    stage_success s{std::move(out), {}};
    s.state.push_back(state_write{key(in.item), hash_hex(h)});
    return s;
  }

  std::vector<state_write> forget(const core::item& it) override {
    std::lock_guard lock(mu_);
    auto found = by_owner_.find(it.owner);
    if (found != by_owner_.end()) {
      auto& v = found->second;
      v.erase(std::remove_if(v.begin(), v.end(), [&](const auto& e) { return e.first == it.id; }), v.end());
    }
    return {state_write{key(it), std::nullopt}};
  }

 private:
  static std::string key(const core::item& it) { return "h/" + it.owner + "/" + it.id; }
  std::mutex mu_;
  std::unordered_map<std::string, std::vector<std::pair<std::string, std::uint64_t>>> by_owner_;
};

std::optional<core::error> option_number(const core::stage_spec& spec, const std::string& key, std::string_view name,
                                         double lo, double hi, double& out) {
  auto it = spec.options.find(std::string(name));
  if (it == spec.options.end()) return std::nullopt;
  double v;
  if (auto* i = std::get_if<std::int64_t>(&it->second)) v = static_cast<double>(*i);
  else if (auto* d = std::get_if<double>(&it->second)) v = *d;
  else return core::make_error(core::errc::validation_failed, fmt::format("config: {}.options.{}: expected a number", key, name));
  if (!(v >= lo && v <= hi))
    return core::make_error(core::errc::validation_failed,
                            fmt::format("config: {}.options.{}: {} is out of range [{}, {}]", key, name, v, lo, hi));
  out = v;
  return std::nullopt;
}

}  // namespace

std::string category_of(const core::item& it) {
  boost::system::error_code ec;
  auto v = boost::json::parse(it.metadata_json, ec);
  if (ec || !v.is_object()) return {};
  return string_of(v.as_object(), "category");
}

core::result<std::shared_ptr<stage_backend>> make_image_backend(std::string_view kind, const core::stage_spec& spec,
                                                                const std::string& key, const services& svc) {
  std::vector<std::string_view> allowed{"kind"};
  if (kind == "extract") allowed.insert(allowed.end(), {"brand_threshold", "model_threshold"});
  for (const auto& [name, value] : spec.options)
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
      return core::make_error(core::errc::validation_failed,
                              fmt::format("config: {}.options.{}: unknown option for the image '{}' stage", key, name, kind));
  if (kind == "decode") return std::shared_ptr<stage_backend>(std::make_shared<decode_stage>(svc));
  if (kind == "ocr") return std::shared_ptr<stage_backend>(std::make_shared<ocr_stage>(svc));
  if (kind == "vision") return std::shared_ptr<stage_backend>(std::make_shared<vision_stage>(svc));
  if (kind == "extract") {
    match_options o;
    if (auto e = option_number(spec, key, "brand_threshold", 0.5, 1.0, o.brand_threshold)) return *e;
    if (auto e = option_number(spec, key, "model_threshold", 0.5, 1.0, o.model_threshold)) return *e;
    if (!svc.brands) return core::make_error(core::errc::validation_failed, fmt::format("config: {}: no brand dictionary", key));
    return std::shared_ptr<stage_backend>(std::make_shared<extract_stage>(svc, o));
  }
  if (kind == "duplicate") return std::shared_ptr<stage_backend>(std::make_shared<duplicate_stage>(svc));
  return core::make_error(core::errc::validation_failed,
                          fmt::format("config: {}: the image backend has no stage '{}' (known: decode, ocr, vision, "
                                      "extract, duplicate; set options.kind to pick one)",
                                      key, kind));
}

}  // namespace pw::stages::asset
