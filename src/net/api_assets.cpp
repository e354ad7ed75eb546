// Asset routes (docs/assets.md): the upload (a multipart/form-data body the
// server streamed into a form), the asset, its image (to its owner, or by a
// signed URL), delete and retry. Listings are in api_asset_views.cpp.
#include <fmt/format.h>

#include "core/asset.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"
#include "net/api_common.hpp"
#include "net/asset_render.hpp"
#include "net/multipart.hpp"
#include "stages/asset/dictionary.hpp"
#include "stages/asset/image.hpp"
#include "stages/asset/signed_url.hpp"
#include "store/assets.hpp"

namespace pw::net {

namespace {

// Well-formed UTF-8 without control characters: form fields are echoed in
// answers and kept in JSON records, which must stay valid JSON.
bool clean_text(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;  // continuation bytes
    if (c >= 0x80) {
      if ((c >> 5) == 0x6) n = 1;
      else if ((c >> 4) == 0xe) n = 2;
      else if ((c >> 3) == 0x1e) n = 3;
      else return false;
    } else if (c < 0x20 || c == 0x7f) {
      return false;
    }
    if (i + n >= s.size()) return false;
    std::uint32_t cp = n == 0 ? c : c & (0x3fu >> n);
    for (std::size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += n + 1;
  }
  return true;
}

namespace img = stages::asset;

constexpr std::string_view form_fields[] = {"image", "category", "workspace", "title"};

std::string categories_json(const api_context& ctx) {
  std::string out = "[";
  if (ctx.brands)
    for (const auto& c : ctx.brands->category_names()) {
      if (out.size() > 1) out += ',';
      core::append_json_string(out, c);
    }
  return out + "]";
}

std::string categories_text(const api_context& ctx) {
  std::string out;
  if (ctx.brands)
    for (const auto& c : ctx.brands->category_names()) out += (out.empty() ? "" : ", ") + c;
  return out;
}

core::error invalid(std::string_view field, std::string message) {
  return core::make_error(core::errc::validation_failed, std::move(message), fmt::format("{{\"field\":\"{}\"}}", field));
}

std::string field_text(const form_part* p) {
  if (!p) return {};
  std::string_view v = p->data;
  while (!v.empty() && (v.back() == ' ' || v.back() == '\r' || v.back() == '\n')) v.remove_suffix(1);
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  return std::string(v);
}

// The workspace of an upload: the form's, or else the token's only one
// ("default" for a token that grants every workspace).
core::result<std::string> upload_workspace(const form_data& form, const principal& who) {
  if (const auto* w = form.find("workspace")) {
    auto ws = field_text(w);
    if (!valid_workspace_id(ws)) return invalid("workspace", "'workspace' must match [A-Za-z0-9._-]{1,64}");
    if (!who.may_use(ws))
      return core::make_error(core::errc::forbidden, fmt::format("your token does not grant workspace '{}'", ws));
    return ws;
  }
  if (who.all_workspaces) return std::string("default");
  if (who.workspaces.size() == 1) return who.workspaces.front();
  std::string list;
  for (const auto& w : who.workspaces) list += (list.empty() ? "" : ", ") + w;
  return invalid("workspace", who.workspaces.empty()
                                  ? std::string("your token grants no workspace")
                                  : fmt::format("name the 'workspace' field: your token grants several ({})", list));
}

void upload(api_context& ctx, http_request& req, const principal& who, responder respond) {
  // The asset would be stored here whichever node holds its workspace: not
  // in a cluster yet (docs/cluster.md, "Not built").
  if (ctx.cfg.cluster.enabled)
    return respond(error_response(core::errc::unavailable,
                                  "image assets are not available on a cluster node yet: upload to a single node"));
  if (!req.form)
    return respond(error_response(core::errc::unsupported_media_type,
                                  "send the asset as multipart/form-data with an 'image' file and a 'category' field"));
  const auto& form = *req.form;
  for (const auto& p : form.parts)
    if (std::find(std::begin(form_fields), std::end(form_fields), p.name) == std::end(form_fields))
      return respond(error_response(invalid(p.name, fmt::format("unknown form field '{}' (fields: image, category, "
                                                                "workspace, title)",
                                                                p.name))));
  if (auto wait = ctx.submits.admit(who.sub)) {
    auto r = error_response(core::errc::rate_limited,
                            fmt::format("more than {} submissions a second (limits.submit_rate_per_user); retry in {} s",
                                        ctx.cfg.limits.submit_rate_per_user, *wait));
    for (auto& [k, v] : r.headers)
      if (k == "Retry-After") v = std::to_string(*wait);
    return respond(std::move(r));
  }
  const auto* image = form.find("image");
  if (!image) return respond(error_response(invalid("image", "missing 'image': attach the photo as a file field named 'image'")));
  const auto category = field_text(form.find("category"));
  if (category.empty() || !ctx.brands || !ctx.brands->category(category)) {
    auto msg = category.empty()           ? fmt::format("missing 'category'; valid categories: {}", categories_text(ctx))
               : !clean_text(category) || category.size() > 64
                   ? fmt::format("unknown category (not a name); valid categories: {}", categories_text(ctx))
                   : fmt::format("unknown category '{}'; valid categories: {}", category, categories_text(ctx));
    return respond(error_response(core::errc::validation_failed, std::move(msg),
                                  fmt::format("{{\"field\":\"category\",\"valid\":{}}}", categories_json(ctx))));
  }
  auto ws = upload_workspace(form, who);
  if (!ws) return respond(error_response(ws.err()));
  std::optional<std::string> title;
  if (const auto* t = form.find("title")) {
    title = field_text(t);
    if (title->empty() || title->size() > ctx.cfg.limits.max_title_bytes)
      return respond(error_response(invalid("title", fmt::format("'title' must be 1 to {} bytes", ctx.cfg.limits.max_title_bytes))));
    if (!clean_text(*title)) return respond(error_response(invalid("title", "'title' must be UTF-8 text without control characters")));
  }
  // A file name or part type that is not clean text is not kept (it would
  // break the JSON it is shown in).
  const std::optional<std::string> filename =
      image->filename && clean_text(*image->filename) ? image->filename : std::optional<std::string>();
  if (!title && filename && !filename->empty() && filename->size() <= ctx.cfg.limits.max_title_bytes) title = *filename;

  // What the file is, by its bytes; the pixel limit from its header.
  img::image_limits limits{ctx.cfg.assets.max_pixels, ctx.cfg.assets.min_side};
  auto header = img::probe(image->data, limits);
  if (!header) {
    auto e = header.err();
    if (e.details_json.empty()) e.details_json = "{\"field\":\"image\"}";
    return respond(error_response(e));
  }
  const auto& h = header.value();
  const auto sha = sha256_hex(image->data);
  boost::json::object meta{{"category", category},
                           {"filename", filename ? boost::json::value(*filename) : boost::json::value(nullptr)},
                           {"content_type", std::string(img::mime_type(h.format))},
                           {"declared_type", clean_text(image->content_type) ? image->content_type : std::string()},
                           {"format", std::string(img::format_name(h.format))},
                           {"width", h.shown_width()},
                           {"height", h.shown_height()},
                           {"bytes", static_cast<std::int64_t>(image->data.size())},
                           {"sha256", sha}};
  actors::submit_request sub;
  sub.owner = who.sub;
  sub.workspace = ws.value();
  sub.pipeline = std::string(core::asset_pipeline);
  sub.title = title;
  sub.metadata_json = core::to_json(meta);
  const auto summary = fmt::format("{}, {} x {} pixels, {} bytes", img::format_name(h.format), h.shown_width(),
                                   h.shown_height(), image->data.size());
  // The bytes move on to admission (no copy of a large image).
  std::string bytes;
  for (auto& p : req.form->parts)
    if (p.name == "image") bytes = std::move(p.data);
  sub.asset = std::make_shared<actors::asset_upload>(actors::asset_upload{std::move(bytes), summary});
  // An Idempotency-Key covers what was uploaded: the request hash is taken
  // over this digest of the form (the body itself was never held whole).
  req.body = fmt::format("asset sha256={} category={} workspace={} title={}", sha, category, ws.value(), title.value_or(""));
  submit_guarded(ctx, req, who, std::move(respond), std::move(sub), "/api/v1/assets/");
}

// The asset if `who` may see it (its owner, or an admin); 404 otherwise,
// also for an item that is not an asset.
core::result<store::item_record> visible_asset(const api_context& ctx, std::string_view id, const principal* who) {
  auto not_found = [&] { return core::make_error(core::errc::not_found, fmt::format("no asset '{}'", id)); };
  if (!core::looks_like_id(id)) return not_found();
  auto rec = ctx.db.record(id);
  if (!rec || rec->item.pipeline != core::asset_pipeline) return not_found();
  if (who && rec->item.owner != who->sub && !who->admin) return not_found();
  return std::move(*rec);
}

const core::pipeline& asset_pipe(const api_context& ctx) { return ctx.cfg.pipelines.at(std::string(core::asset_pipeline)); }

void image(api_context& ctx, http_request& req, const principal* who, responder respond) {
  const auto id = req.param("id");
  if (!who) {
    auto expires = req.query_value("expires");
    auto sig = req.query_value("sig");
    if (!expires && !sig)
      return respond(error_response(core::errc::unauthorized, "send a token (Authorization: Bearer) or use a signed image URL"));
    if (!ctx.signer || !expires || !sig || !ctx.signer->verify(id, *expires, *sig, core::now_ms()))
      return respond(error_response(core::errc::unauthorized, "the signed image URL is invalid or has expired"));
  }
  auto rec = visible_asset(ctx, id, who);
  if (!rec) return respond(error_response(rec.err()));
  auto bytes = store::read_image(ctx.db, id);
  if (!bytes) return respond(error_response(core::errc::not_found, fmt::format("asset '{}' has no stored image", id)));
  auto format = img::sniff(*bytes);
  http_response r;
  r.status = 200;
  r.content_type = format ? std::string(img::mime_type(*format)) : "application/octet-stream";
  r.body = std::move(*bytes);
  r.headers.emplace_back("Cache-Control", "private, max-age=0");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  respond(std::move(r));
}

http_response asset_answer(const actors::control_reply& r) {
  std::string body = "{\"id\":";
  core::append_json_string(body, r.item_id);
  body += ",\"assetId\":";
  core::append_json_string(body, r.item_id);
  body += ",\"jobId\":";
  core::append_json_string(body, r.item_id);
  body += ",\"status\":";
  auto s = core::parse_item_status(r.status);
  core::append_json_string(body, s ? core::to_string(core::asset_status_of(*s)) : std::string_view(r.status));
  body += '}';
  return json_response(200, std::move(body));
}

void control(api_context& ctx, http_request& req, const principal& who, responder respond, actors::control_action a) {
  guarded(ctx, req, who, std::move(respond), [&ctx, a, id = std::string(req.param("id"))](responder respond, const std::string&, const std::string&) {
    ctx.gate.control({a, id, {}}, [respond = std::move(respond)](core::result<actors::control_reply> r) {
      respond(r ? asset_answer(r.value()) : error_response(r.err()));
    });
  });
}

}  // namespace

bool is_form_upload_path(std::string_view path) noexcept {
  return path == "/api/v1/assets" || path == "/api/assets/analyze-queue";
}

std::size_t max_upload_body(const core::config& cfg) noexcept { return cfg.assets.max_image_bytes + 64 * 1024; }

void add_asset_views(router& r, api_context& ctx);

void add_asset_routes(router& r, api_context& ctx) {
  auto up = [&ctx](http_request& req, const principal* who, responder respond) { upload(ctx, req, *who, std::move(respond)); };
  r.add({"POST", "/api/v1/assets", access::user, up});
  r.add({"POST", "/api/assets/analyze-queue", access::user, up});

  r.add({"GET", "/api/v1/assets/{id}", access::user, [&ctx](http_request& req, const principal* who, responder respond) {
           auto rec = visible_asset(ctx, req.param("id"), who);
           if (!rec) return respond(error_response(rec.err()));
           respond(json_response(200, render_asset(rec.value(), asset_pipe(ctx))));
         }});

  r.add({"GET", "/api/v1/assets/{id}/image", access::signed_url,
         [&ctx](http_request& req, const principal* who, responder respond) { image(ctx, req, who, std::move(respond)); }});

  r.add({"DELETE", "/api/v1/assets/{id}", access::user, [&ctx](http_request& req, const principal* who, responder respond) {
           auto rec = visible_asset(ctx, req.param("id"), who);
           if (!rec) return respond(error_response(rec.err()));
           control(ctx, req, *who, std::move(respond), actors::control_action::remove);
         }});

  // A failed asset: its failed stages again (those skipped because of them
  // follow); a cancelled one, or an active one (a new analysis, e.g. after
  // the dictionary changed): the whole pipeline again.
  r.add({"POST", "/api/v1/assets/{id}/retry", access::user, [&ctx](http_request& req, const principal* who, responder respond) {
           if (auto b = ctx.bodies.parse_empty(req.body); !b) return respond(error_response(b.err()));
           auto rec = visible_asset(ctx, req.param("id"), who);
           if (!rec) return respond(error_response(rec.err()));
           const auto& h = rec->header;
           if (!core::is_terminal(h.status))
             return respond(error_response(core::errc::invalid_transition,
                                           fmt::format("cannot retry: the asset is {} (its job is {})",
                                                       core::to_string(core::asset_status_of(h.status)), core::to_string(h.status))));
           bool failed_stage = false;
           for (const auto& s : rec->stages) failed_stage = failed_stage || s.state.status == core::stage_status::failed;
           control(ctx, req, *who, std::move(respond),
                   failed_stage ? actors::control_action::retry_failed : actors::control_action::rerun);
         }});

  add_asset_views(r, ctx);
}

}  // namespace pw::net
