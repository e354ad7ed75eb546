#include "cli/asset_runtime.hpp"

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "store/assets.hpp"

namespace pw::embedded_assets {
std::string_view brands_toml();
}

namespace pw::cli {

core::result<stages::asset::dictionary> load_brands(const core::config& cfg) {
  if (cfg.assets.dictionary.empty()) return stages::asset::dictionary::parse(embedded_assets::brands_toml(), "config/assets/brands.toml");
  std::ifstream in(cfg.assets.dictionary);
  if (!in)
    return core::make_error(core::errc::validation_failed,
                            fmt::format("config: assets.dictionary: cannot read file {}", cfg.assets.dictionary));
  std::stringstream text;
  text << in.rdbuf();
  return stages::asset::dictionary::parse(text.str(), "assets.dictionary (" + cfg.assets.dictionary + ")");
}

asset_runtime::asset_runtime(stages::asset::dictionary brands, const core::config& cfg)
    : brands_(std::move(brands)),
      signer_(std::make_unique<stages::asset::url_signer>(cfg.auth.jwt_secret, cfg.assets.signed_url_ttl)),
      pool_(std::make_unique<stages::asset::image_pool>(cfg.assets.image_threads, cfg.assets.image_queue)) {}

asset_runtime::~asset_runtime() { stop(); }

core::result<std::unique_ptr<asset_runtime>> asset_runtime::start(const core::config& cfg, const store::database& db) {
  try {
    stages::asset::init_image_library();
  } catch (const std::exception& e) {
    return core::make_error(core::errc::internal, e.what());
  }
  auto brands = load_brands(cfg);
  if (!brands) return std::move(brands).err();
  std::unique_ptr<asset_runtime> rt(new asset_runtime(std::move(brands).value(), cfg));
  auto& s = rt->services_;
  s.read_image = [&db](std::string_view id) { return store::read_image(db, id); };
  s.pool = rt->pool_.get();
  s.brands = &rt->brands_;
  s.limits = stages::asset::image_limits{cfg.assets.max_pixels, cfg.assets.min_side};
  s.ocr_languages = cfg.assets.ocr_languages;
  s.duplicate_distance = static_cast<int>(cfg.assets.duplicate_distance);
  s.signer = rt->signer_.get();
  spdlog::info("event=assets.ready categories={} brands={} image_threads={} ocr_languages={}",
               rt->brands_.category_names().size(), rt->brands_.brand_count(), cfg.assets.image_threads,
               cfg.assets.ocr_languages);
  return rt;
}

void asset_runtime::stop() {
  if (pool_) pool_->stop();
}

}  // namespace pw::cli
