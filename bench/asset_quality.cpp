// pw_asset_quality: runs the asset pipeline's built-in stages (decode, ocr,
// vision, extract) over the labelled image set of tests/data/images, as the
// server would but in this process, and reports how often the brand and the
// model come out exactly as labelled: per split (tune / held-out), per
// photo defect and per category, with every miss and what was read. It also
// puts every bad image through the upload check and the decode stage and
// shows the reason each is refused.
//
//   pw_asset_quality [DIR] [--split tune|heldout|all] [--threads N] [--json]
//                    [--side PIXELS] [--dump] [--floor brand=X,model=X]   (exit 1 below, on the split)
#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "core/json.hpp"
#include "stages/asset/dictionary.hpp"
#include "stages/asset/image.hpp"
#include "stages/asset/stages.hpp"

namespace pw::embedded_assets {
std::string_view brands_toml();
}

namespace json = boost::json;
namespace asset = pw::stages::asset;
using pw::stages::stage_results;

namespace {

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<json::object> lines(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::vector<json::object> out;
  std::string line;
  while (std::getline(in, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos) out.push_back(json::parse(line).as_object());
  return out;
}

std::string str(const json::object& o, std::string_view k) {
  auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

struct outcome {
  json::object label;
  std::string brand, model, error;
  double brand_conf = 0, model_conf = 0;
  std::string text;
  std::map<std::string, double> ms;  // per stage
  std::string results;               // every stage's result, for --dump
};

struct tally {
  int n = 0, brand = 0, model = 0, both = 0;
  void add(const outcome& o) {
    ++n;
    const bool b = o.brand == str(o.label, "brand"), m = o.model == str(o.label, "model");
    brand += b;
    model += m;
    both += b && m;
  }
  double rate(int k) const { return n ? static_cast<double>(k) / n : 0.0; }
  std::string line(const std::string& name) const {
    return fmt::format("  {:<16} n={:<3} brand {:5.1f} %  model {:5.1f} %  both {:5.1f} %", name, n, 100 * rate(brand),
                       100 * rate(model), 100 * rate(both));
  }
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = PW_IMAGES_DIR, split = "all", floor_spec;
  bool as_json = false;
  unsigned threads = 2;
  int side = 1400;
  bool dump = false;  // every miss's stage results in full
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--split" && i + 1 < argc) split = argv[++i];
    else if (a == "--threads" && i + 1 < argc) threads = static_cast<unsigned>(std::stoi(argv[++i]));
    else if (a == "--json") as_json = true;
    else if (a == "--dump") dump = true;
    else if (a == "--side" && i + 1 < argc) side = std::stoi(argv[++i]);
    else if (a == "--floor" && i + 1 < argc) floor_spec = argv[++i];
    else if (!a.empty() && a[0] != '-') dir = a;
    else {
      std::cerr << "usage: pw_asset_quality [DIR] [--split tune|heldout|all] [--threads N] [--json] [--floor brand=X,model=X]\n";
      return 2;
    }
  }
  asset::init_image_library();
  auto dict = asset::dictionary::parse(pw::embedded_assets::brands_toml(), "config/assets/brands.toml");
  if (!dict) {
    std::cerr << dict.err().message << "\n";
    return 2;
  }
  auto labels = lines(dir + "/labels.jsonl");
  std::erase_if(labels, [&](const json::object& l) { return split != "all" && str(l, "split") != split; });

  // The images by id: the index of the label.
  std::vector<std::string> bytes;
  for (const auto& l : labels) bytes.push_back(read(dir + "/" + str(l, "file")));
  asset::services svc;
  svc.read_image = [&](std::string_view id) -> std::optional<std::string> { return bytes.at(std::stoul(std::string(id))); };
  svc.brands = &dict.value();
  svc.reading_side = side;
  pw::core::stage_spec spec;
  std::map<std::string, std::shared_ptr<pw::stages::stage_backend>> stages;
  for (std::string kind : {"decode", "ocr", "vision", "extract"}) {
    auto b = asset::make_image_backend(kind, spec, "pipelines.asset.stages." + kind, svc);
    if (!b) {
      std::cerr << b.err().message << "\n";
      return 2;
    }
    stages[kind] = b.value();
  }

  std::vector<outcome> results(labels.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i; (i = next++) < labels.size();) {
      outcome o;
      o.label = labels[i];
      pw::core::item it;
      it.id = std::to_string(i);
      it.owner = "quality";
      it.workspace = "quality";
      it.metadata_json = pw::core::to_json(json::object{{"category", str(labels[i], "category")}});
      stage_results up;
      for (std::string kind : {"decode", "ocr", "vision", "extract"}) {
        const auto t0 = std::chrono::steady_clock::now();
        auto r = stages[kind]->run(pw::stages::stage_input{it, up, 1});
        o.ms[kind] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        if (auto* err = std::get_if<pw::stages::stage_error>(&r)) {
          o.error = kind + ": " + err->message;
          break;
        }
        up.set(kind, std::make_shared<const json::object>(std::get<pw::stages::stage_success>(r).output));
      }
      if (const auto* x = up.find("extract")) {
        o.brand = str(*x, "brand");
        o.model = str(*x, "model");
        o.brand_conf = x->at("confidence").at("brand").to_number<double>();
        o.model_conf = x->at("confidence").at("model").to_number<double>();
      }
      for (const auto& [name, r] : up.entries()) o.results += "     " + name + ": " + pw::core::to_json(*r) + "\n";
      if (const auto* ocr = up.find("ocr")) o.text = str(*ocr, "text");
      if (const auto* v = up.find("vision"))
        for (const auto& l : v->at("labels").as_array()) o.text += " | " + str(l.as_object(), "text");
      results[i] = std::move(o);
    }
  };
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < std::max(1u, threads); ++t) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::map<std::string, tally> by_split, by_variant, by_category;
  tally all;
  for (const auto& o : results) {
    all.add(o);
    by_split[str(o.label, "split")].add(o);
    by_variant[str(o.label, "variant")].add(o);
    by_category[str(o.label, "category")].add(o);
  }

  // The bad images: the upload's check (header, sniffing, pixel limit), then decode.
  struct bad_result {
    json::object label;
    std::string at, reason;
    bool as_expected = false;
  };
  std::vector<bad_result> bad;
  asset::image_limits limits;
  for (const auto& l : lines(dir + "/bad/labels.jsonl")) {
    auto data = read(dir + "/" + str(l, "file"));
    bad_result b{l, "", "", false};
    if (auto h = asset::probe(data, limits); !h) {
      b.at = "upload";
      b.reason = std::string(pw::core::code_name(h.err().code)) + ": " + h.err().message;
    } else if (auto d = asset::decode(data, limits); !d) {
      b.at = "decode";
      b.reason = "permanent: " + d.err().message;
    } else {
      b.at = "accepted";
      b.reason = std::string(asset::format_name(d->header.format)) + fmt::format(" {} x {}", d->header.width, d->header.height);
    }
    const bool refused = str(l, "expect") == "refused";
    b.as_expected = (refused ? b.at == str(l, "at") : b.at == "accepted") &&
                    b.reason.find(str(l, "reason")) != std::string::npos && b.reason.find(str(l, "code")) != std::string::npos;
    bad.push_back(std::move(b));
  }

  std::map<std::string, std::vector<double>> times;
  for (const auto& o : results)
    for (const auto& [k, v] : o.ms) times[k].push_back(v);

  if (as_json) {
    json::object out;
    auto t = [](const tally& x) {
      return json::object{{"n", x.n}, {"brand", x.rate(x.brand)}, {"model", x.rate(x.model)}, {"both", x.rate(x.both)}};
    };
    json::object splits, variants, categories, ms;
    for (const auto& [k, v] : by_split) splits[k] = t(v);
    for (const auto& [k, v] : by_variant) variants[k] = t(v);
    for (const auto& [k, v] : by_category) categories[k] = t(v);
    for (const auto& [k, v] : times) ms[k] = json::object{{"p50", percentile(v, 0.5)}, {"p95", percentile(v, 0.95)}};
    json::array bads;
    for (const auto& b : bad) bads.push_back(json::object{{"file", b.label.at("file")}, {"at", b.at}, {"reason", b.reason}, {"as_expected", b.as_expected}});
    out["all"] = t(all);
    out["splits"] = splits;
    out["variants"] = variants;
    out["categories"] = categories;
    out["ms"] = ms;
    out["bad"] = bads;
    std::cout << pw::core::to_json(out) << "\n";
  } else {
    std::cout << fmt::format("{} images ({}), {:.1f} s on {} threads\n\nbrand/model exact match\n", results.size(), split,
                             seconds, threads);
    for (const auto& [k, v] : by_split) std::cout << v.line(k) << "\n";
    std::cout << all.line("all") << "\n\nby photo defect\n";
    for (const auto& [k, v] : by_variant) std::cout << v.line(k) << "\n";
    std::cout << "\nby category\n";
    for (const auto& [k, v] : by_category) std::cout << v.line(k) << "\n";
    std::cout << "\nstage time per image (ms): ";
    for (const auto& [k, v] : times) std::cout << fmt::format("{} p50 {:.0f} p95 {:.0f}; ", k, percentile(v, 0.5), percentile(v, 0.95));
    std::cout << "\n\nmisses\n";
    for (const auto& o : results) {
      const bool b = o.brand == str(o.label, "brand"), m = o.model == str(o.label, "model");
      if (b && m) continue;
      std::string text = o.text;
      std::replace(text.begin(), text.end(), '\n', ' ');
      std::cout << fmt::format("  [{}] {}\n     want {} / {}; got {} ({:.2f}) / {} ({:.2f}){}\n     read: {}\n", str(o.label, "split"),
                               str(o.label, "file"), str(o.label, "brand"), str(o.label, "model"), o.brand.empty() ? "-" : o.brand,
                               o.brand_conf, o.model.empty() ? "-" : o.model, o.model_conf,
                               o.error.empty() ? "" : " error: " + o.error, text.substr(0, 240));
      if (dump) std::cout << o.results;
    }
    std::cout << "\nbad images\n";
    for (const auto& b : bad)
      std::cout << fmt::format("  {:<22} {:<9} {} {}\n", str(b.label, "file"), b.at, b.as_expected ? "ok  " : "WRONG", b.reason);
  }

  int rc = 0;
  for (const auto& b : bad)
    if (!b.as_expected) rc = 1;
  if (!floor_spec.empty()) {
    std::stringstream spec_in(floor_spec);
    std::string part;
    while (std::getline(spec_in, part, ',')) {
      auto eq = part.find('=');
      if (eq == std::string::npos) return 2;
      const auto key = part.substr(0, eq);
      const double want = std::stod(part.substr(eq + 1));
      const double got = key == "brand" ? all.rate(all.brand) : key == "model" ? all.rate(all.model) : all.rate(all.both);
      if (got < want) {
        std::cerr << fmt::format("below the floor: {} {:.3f} < {:.3f}\n", key, got, want);
        rc = 1;
      }
    }
  }
  return rc;
}
