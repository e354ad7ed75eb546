// The REST routes (DESIGN §5) and what they need: the gateway to submit to,
// the store to read from, the config for limits.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "actors/gateway.hpp"
#include "core/config.hpp"
#include "net/auth.hpp"
#include "net/idempotency.hpp"
#include "net/rate_limit.hpp"
#include "net/router.hpp"
#include "net/bodies.hpp"
#include "store/database.hpp"

namespace pw::stages::asset {
class dictionary;
class url_signer;
}  // namespace pw::stages::asset

namespace pw::net {

struct api_context {
  const core::config& cfg;
  actors::gateway& gate;
  actors::operations& ops;
  const store::database& db;
  body_parser& bodies;
  idempotency& idem;
  rate_limiter& submits;
  // Why the store refuses writes (disk full, ...); nullopt while it takes them.
  std::function<std::optional<std::string>()> store_failure;
  // Image assets: the categories (brand dictionary) and image URL signatures.
  const stages::asset::dictionary* brands = nullptr;
  const stages::asset::url_signer* signer = nullptr;
};

void add_health_routes(router& r, api_context& ctx);
void add_item_routes(router& r, api_context& ctx);
void add_control_routes(router& r, api_context& ctx);
void add_workspace_routes(router& r, api_context& ctx);
void add_admin_routes(router& r, api_context& ctx);
// POST /api/v1/assets (and /api/assets/analyze-queue), GET/DELETE
// /api/v1/assets/{id}, its image and retry, the workspace and admin views.
void add_asset_routes(router& r, api_context& ctx);
// The paths whose multipart/form-data bodies the server streams into a
// form (http_request::form) instead of reading them whole.
bool is_form_upload_path(std::string_view path) noexcept;
// The largest such body: an image at its limit plus the form around it.
std::size_t max_upload_body(const core::config& cfg) noexcept;
// GET /metrics and GET /api/v1/admin/actors (admin).
void add_operations_routes(router& r, api_context& ctx);
// GET / and GET /ui/{file}: the dashboard's static files (web/, embedded).
void add_dashboard_routes(router& r);
// The Batch API's admin routes, the legacy ones included (api_batches.cpp).
void add_batch_routes(router& r, api_context& ctx);
// Every route of the API, in one call.
// GET /api/v1/openapi.json (docs/openapi.yaml as JSON) and GET /api/v1/admin/routes.
void add_document_routes(router& r);
void add_all_routes(router& r, api_context& ctx);
// docs/openapi.yaml (embedded at build time) converted to JSON.
const std::string& api_document_json();

}  // namespace pw::net
