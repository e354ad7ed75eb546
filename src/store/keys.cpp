#include "store/keys.hpp"

namespace pw::store {

std::string_view cf_name(cf c) noexcept {
  switch (c) {
    case cf::items: return "items";
    case cf::queue: return "queue";
    case cf::timers: return "timers";
    case cf::dlq: return "dlq";
    case cf::events: return "events";
    case cf::meta: return "meta";
    case cf::stage_data: return "stage_data";
    case cf::index: return "index";
    case cf::idempotency: return "idempotency";
    case cf::outbox: return "outbox";
    case cf::batches: return "batches";
    case cf::images: return "images";
  }
  return "meta";
}

void put_be32(std::string& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>((v >> s) & 0xff));
}

void put_be64(std::string& out, std::uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<char>((v >> s) & 0xff));
}

std::uint64_t get_be64(std::string_view in) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8 && i < in.size(); ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

std::uint32_t get_be32(std::string_view in) noexcept {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4 && i < in.size(); ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

std::string queue_key(std::string_view owner, std::string_view id) {
  std::string k(owner);
  k += '\0';
  k += id;
  return k;
}

std::string timer_key(std::int64_t due_ms, std::string_view id, std::string_view stage) {
  std::string k;
  put_be64(k, static_cast<std::uint64_t>(due_ms));
  k += id;
  k += '/';
  k += stage;
  return k;
}

std::string dlq_key(std::string_view id, std::string_view stage) {
  std::string k(id);
  k += '/';
  k += stage;
  return k;
}

std::string event_key(std::string_view room, std::uint64_t seq) {
  std::string k(room);
  k += '\0';
  put_be64(k, seq);
  return k;
}

namespace {
std::string joined(char tag, std::initializer_list<std::string_view> parts) {
  std::string k(1, tag);
  bool first = true;
  for (auto p : parts) {
    if (!first) k += '\0';
    first = false;
    k += p;
  }
  return k;
}
}  // namespace

std::string index_workspace_theme_key(std::string_view ws, std::string_view theme, std::string_view id) {
  return joined('T', {ws, theme, id});
}
std::string index_workspace_status_key(std::string_view ws, std::string_view status, std::string_view id) {
  return joined('X', {ws, status, id});
}
std::string index_owner_status_key(std::string_view owner, std::string_view status, std::string_view id) {
  return joined('O', {owner, status, id});
}
std::string idempotency_key(std::string_view owner, std::string_view key) { return joined('k', {owner, key}); }
std::string index_parked_key(std::string_view owner, std::string_view id) { return joined('P', {owner, id}); }
std::string index_row_key(std::string_view workspace, std::string_view row_key) { return joined('R', {workspace, row_key}); }
std::string import_key(std::string_view import_id) { return joined('I', {import_id}); }
std::string idempotency_expiry_key(std::int64_t created_ms, std::string_view owner, std::string_view key) {
  std::string k(1, 't');
  put_be64(k, static_cast<std::uint64_t>(created_ms));
  k += owner;
  k += '\0';
  k += key;
  return k;
}

std::string counter_key(std::string_view counter) { return "c/" + std::string(counter); }
std::string room_seq_key(std::string_view room) { return "s/" + std::string(room); }

std::string outbox_key(std::uint64_t seq) {
  std::string k;
  put_be64(k, seq);
  return k;
}

std::string applied_key(std::string_view room, std::string_view origin) {
  std::string k(applied_prefix);
  k += room;
  k += '\0';
  k += origin;
  return k;
}

std::string prefix_end(std::string prefix) {
  while (!prefix.empty()) {
    auto& c = prefix.back();
    if (static_cast<unsigned char>(c) != 0xff) {
      c = static_cast<char>(static_cast<unsigned char>(c) + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return prefix;  // empty: no upper bound
}

}  // namespace pw::store
