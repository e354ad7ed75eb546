// Internal to src/net: what several route files need.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "core/item.hpp"
#include "core/item_state.hpp"
#include "core/pipeline.hpp"
#include "core/result.hpp"
#include "net/api.hpp"

namespace pw::net {

struct visible_item {
  core::item item;
  const core::pipeline* pipe = nullptr;
  core::item_state state;
  std::vector<std::pair<std::string, std::string>> results;  // (stage, JSON) as stored
  std::vector<core::history_entry> history;
};

// The item if `who` may see it (its owner, or an admin). Another user's item
// is 404, not 403: its existence is not the caller's business.
core::result<visible_item> load_visible(const api_context& ctx, std::string_view id, const principal& who);

// ?limit=: 1..max, `fallback` when absent.
core::result<std::size_t> parse_limit(const http_request& req, std::size_t fallback, std::size_t max);
// Opaque cursors: base64url of a store position.
std::string encode_cursor(std::string_view raw);
core::result<std::string> decode_cursor(std::string_view cursor);
// The request's ?cursor= decoded; "" when there is none.
core::result<std::string> cursor_of(const http_request& req);

// A page of failed and partial items with their failed stages and errors,
// newest first: of workspace `ws` (the caller's own, or everyone's for an
// admin), or of every workspace when `ws` is empty (admins only).
void failed_items_page(api_context& ctx, http_request& req, const principal& who, const std::optional<std::string>& ws,
                       responder respond);

// Runs `fn` under the request's Idempotency-Key, if it has one.
void guarded(api_context& ctx, const http_request& req, const principal& who, responder respond,
             idempotency::handler fn, bool stored_by_handler = false);

// Submits `sub` under the request's Idempotency-Key and answers 201 with the
// item's JSON and `Location: <location_prefix><id>` (items and assets).
void submit_guarded(api_context& ctx, const http_request& req, const principal& who, responder respond,
                    actors::submit_request sub, std::string location_prefix);

}  // namespace pw::net
