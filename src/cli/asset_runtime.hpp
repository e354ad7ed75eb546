// What the asset pipeline needs while a node runs, built by `serve`:
// libvips set up, the brand dictionary (built in, or assets.dictionary),
// the image pool, and the signer of image URLs for external workers.
#pragma once

#include <memory>

#include "core/config.hpp"
#include "core/result.hpp"
#include "stages/asset/services.hpp"
#include "store/database.hpp"

namespace pw::cli {

class asset_runtime {
 public:
  static core::result<std::unique_ptr<asset_runtime>> start(const core::config& cfg, const store::database& db);
  ~asset_runtime();

  const stages::asset::services& services() const noexcept { return services_; }
  const stages::asset::dictionary& brands() const noexcept { return brands_; }
  stages::asset::url_signer& signer() noexcept { return *signer_; }
  // Stops the image pool: queued jobs are dropped (their items resume on the next start).
  void stop();

 private:
  asset_runtime(stages::asset::dictionary brands, const core::config& cfg);
  stages::asset::dictionary brands_;
  std::unique_ptr<stages::asset::url_signer> signer_;
  std::unique_ptr<stages::asset::image_pool> pool_;
  stages::asset::services services_;
};

// The brand dictionary the config names (assets.dictionary), or the built-in one.
core::result<stages::asset::dictionary> load_brands(const core::config& cfg);

}  // namespace pw::cli
