#include "net/api_common.hpp"

#include <fmt/format.h>

#include "core/ids.hpp"

namespace pw::net {

core::result<visible_item> load_visible(const api_context& ctx, std::string_view id, const principal& who) {
  auto not_found = [&] { return core::make_error(core::errc::not_found, fmt::format("no item '{}'", id)); };
  if (!core::looks_like_id(id)) return not_found();
  auto rec = ctx.db.record(id);
  if (!rec || (rec->item.owner != who.sub && !who.admin)) return not_found();
  auto p = ctx.cfg.pipelines.find(rec->item.pipeline);
  if (p == ctx.cfg.pipelines.end())
    return core::make_error(core::errc::internal, fmt::format("item '{}' has no readable state", id));
  auto state = rec->state_for(p->second);
  return visible_item{std::move(rec->item), &p->second, std::move(state), std::move(rec->results), std::move(rec->history)};
}

core::result<std::size_t> parse_limit(const http_request& req, std::size_t fallback, std::size_t max) {
  auto v = req.query_value("limit");
  if (!v) return fallback;
  auto bad = [&] {
    return core::make_error(core::errc::validation_failed, fmt::format("'limit' must be an integer from 1 to {}", max),
                            "{\"field\":\"limit\"}");
  };
  if (v->empty() || v->size() > 7) return bad();
  std::size_t n = 0;
  for (char c : *v) {
    if (c < '0' || c > '9') return bad();
    n = n * 10 + static_cast<std::size_t>(c - '0');
  }
  if (n == 0 || n > max) return bad();
  return n;
}

namespace {
constexpr char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
int b64_value(char c) {
  for (int i = 0; i < 64; ++i)
    if (b64[i] == c) return i;
  return -1;
}
}  // namespace

std::string encode_cursor(std::string_view raw) {
  std::string out;
  unsigned bits = 0, acc = 0;
  for (unsigned char c : raw) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += b64[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += b64[(acc << (6 - bits)) & 63];
  return out;
}

core::result<std::string> decode_cursor(std::string_view cursor) {
  auto bad = [] {
    return core::make_error(core::errc::validation_failed, "'cursor' is not a cursor this API returned",
                            "{\"field\":\"cursor\"}");
  };
  if (cursor.size() > 512) return bad();
  std::string out;
  unsigned bits = 0, acc = 0;
  for (char c : cursor) {
    int v = b64_value(c);
    if (v < 0) return bad();
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  // Every cursor this API returns starts with an item id (a ULID).
  constexpr std::string_view ulid_alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  if (out.size() < 26 || out.size() > 128) return bad();
  for (std::size_t i = 0; i < 26; ++i)
    if (ulid_alphabet.find(out[i]) == std::string_view::npos) return bad();
  return out;
}

core::result<std::string> cursor_of(const http_request& req) {
  auto c = req.query_value("cursor");
  if (!c || c->empty()) return std::string();
  return decode_cursor(*c);
}

void guarded(api_context& ctx, const http_request& req, const principal& who, responder respond,
             idempotency::handler fn, bool stored_by_handler) {
  if (req.idempotency_key.empty()) return fn(std::move(respond), {}, {});
  ctx.idem.run(who, req.idempotency_key, req, std::move(respond), std::move(fn), stored_by_handler);
}

void submit_guarded(api_context& ctx, const http_request& req, const principal& who, responder respond,
                    actors::submit_request sub, std::string location_prefix) {
  guarded(
      ctx, req, who, std::move(respond),
      [&ctx, sub = std::move(sub), prefix = std::move(location_prefix)](responder respond, const std::string& key,
                                                                        const std::string& hash) mutable {
        sub.idempotency_key = key;
        sub.request_hash = hash;
        ctx.gate.submit(std::move(sub), [respond = std::move(respond), prefix](core::result<actors::submit_reply> r) {
          if (!r) return respond(error_response(r.err()));
          auto resp = json_response(201, r->json());
          resp.headers.emplace_back("Location", prefix + r->id);
          respond(std::move(resp));
        });
      },
      /*stored_by_handler=*/true);
}

}  // namespace pw::net
