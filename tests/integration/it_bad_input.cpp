// A matrix of bad input across every route: malformed and truncated JSON,
// deep nesting, huge strings, wrong types, unknown fields, bad cursors and
// limits, unicode edge cases, bad headers, malformed multipart uploads, and
// WebSocket client frames that are not the messages a socket accepts. Each
// gets the right status and error code (or error frame and close code); the
// server keeps serving and loses nothing it accepted.
#include <algorithm>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "api.hpp"
#include "assets.hpp"
#include "config.hpp"
#include "process.hpp"
#include "tokens.hpp"
#include "ws.hpp"

using namespace pwtest;
using namespace std::chrono_literals;

namespace {

enum class who { user, admin, nobody };

struct row {
  const char* what;
  std::string method;
  std::string path;
  std::string body;
  int status;
  const char* code;
  who as = who::user;
  std::map<std::string, std::string> headers = {};
};

std::string nested(int depth) {
  std::string s = R"({"workspace":"w1","text":"x","metadata":)";
  for (int i = 0; i < depth; ++i) s += R"({"a":)";
  s += "1";
  s += std::string(static_cast<std::size_t>(depth), '}');
  return s + "}";
}

}  // namespace

TEST_CASE("bad-input matrix: every route answers the right status and code, keeps serving, loses nothing") {
  temp_dir dir;
  server_process srv(dir, config_builder()
                              .section("limits", "max_body_bytes = 8192\nmax_text_bytes = 2000\nmax_json_depth = 8\n")
                              .str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto user = make_token("uma", {"w1"});
  const auto admin = make_token("root", {"*"}, "admin");
  const auto kept = submit(c, user, "w1", "accepted before the bad input");
  REQUIRE(wait_terminal(c, user, {kept}, 10s));
  const auto kept_before = get_object(c, "/api/v1/items/" + kept, user);
  const std::string item = "/api/v1/items/" + kept;

  const std::vector<row> rows = {
      // POST /items: syntax
      {"malformed JSON", "POST", "/api/v1/items", R"({"workspace":"w1","text":})", 400, "INVALID_JSON"},
      {"truncated JSON", "POST", "/api/v1/items", R"({"workspace":"w1","text":"ab)", 400, "INVALID_JSON"},
      {"truncated after a comma", "POST", "/api/v1/items", R"({"workspace":"w1",)", 400, "INVALID_JSON"},
      {"trailing garbage", "POST", "/api/v1/items", R"({"workspace":"w1","text":"a"} x)", 400, "INVALID_JSON"},
      {"two documents", "POST", "/api/v1/items", R"({"workspace":"w1","text":"a"}{"a":1})", 400, "INVALID_JSON"},
      {"single quotes", "POST", "/api/v1/items", R"({'workspace':'w1','text':'a'})", 400, "INVALID_JSON"},
      {"nesting over max_json_depth", "POST", "/api/v1/items", nested(50), 400, "INVALID_JSON"},
      {"very deep nesting", "POST", "/api/v1/items", nested(1300), 400, "INVALID_JSON"},
      {"empty body", "POST", "/api/v1/items", "", 400, "INVALID_JSON"},
      {"JSON null", "POST", "/api/v1/items", "null", 400, "VALIDATION_FAILED"},
      {"an array", "POST", "/api/v1/items", R"([{"workspace":"w1","text":"a"}])", 400, "VALIDATION_FAILED"},
      {"empty object", "POST", "/api/v1/items", "{}", 400, "VALIDATION_FAILED"},
      // POST /items: unicode
      {"invalid UTF-8 byte", "POST", "/api/v1/items", "{\"workspace\":\"w1\",\"text\":\"caf\xe9\"}", 400, "INVALID_JSON"},
      {"overlong UTF-8 encoding", "POST", "/api/v1/items", "{\"workspace\":\"w1\",\"text\":\"a\xc0\xaf\"}", 400, "INVALID_JSON"},
      {"UTF-16 surrogate as UTF-8", "POST", "/api/v1/items", "{\"workspace\":\"w1\",\"text\":\"\xed\xa0\x80\"}", 400, "INVALID_JSON"},
      {"lone surrogate escape", "POST", "/api/v1/items", R"({"workspace":"w1","text":"\ud800"})", 400, "INVALID_JSON"},
      {"bad escape", "POST", "/api/v1/items", R"({"workspace":"w1","text":"\x41"})", 400, "INVALID_JSON"},
      {"raw control character", "POST", "/api/v1/items", "{\"workspace\":\"w1\",\"text\":\"a\x01\"}", 400, "INVALID_JSON"},
      {"unicode workspace id", "POST", "/api/v1/items", R"({"workspace":"wö","text":"a"})", 400, "VALIDATION_FAILED"},
      // POST /items: types, sizes, fields
      {"text is a number", "POST", "/api/v1/items", R"({"workspace":"w1","text":1e999})", 400, "INVALID_JSON"},
      {"text is a bool", "POST", "/api/v1/items", R"({"workspace":"w1","text":true})", 400, "VALIDATION_FAILED"},
      {"text is an object", "POST", "/api/v1/items", R"({"workspace":"w1","text":{"t":"a"}})", 400, "VALIDATION_FAILED"},
      {"workspace is a number", "POST", "/api/v1/items", R"({"workspace":1,"text":"a"})", 400, "VALIDATION_FAILED"},
      {"workspace empty", "POST", "/api/v1/items", R"({"workspace":"","text":"a"})", 400, "VALIDATION_FAILED"},
      {"workspace too long", "POST", "/api/v1/items", item_body(std::string(65, 'w'), "a"), 400, "VALIDATION_FAILED"},
      {"workspace not granted", "POST", "/api/v1/items", item_body("w2", "a"), 403, "FORBIDDEN"},
      {"title is an object", "POST", "/api/v1/items", R"({"workspace":"w1","text":"a","title":{}})", 400, "VALIDATION_FAILED"},
      {"metadata is an array", "POST", "/api/v1/items", R"({"workspace":"w1","text":"a","metadata":[]})", 400, "VALIDATION_FAILED"},
      {"unknown field", "POST", "/api/v1/items", R"({"workspace":"w1","text":"a","priority":1})", 400, "VALIDATION_FAILED"},
      {"huge string", "POST", "/api/v1/items", item_body("w1", std::string(2001, 'x')), 400, "VALIDATION_FAILED"},
      {"huge multibyte string", "POST", "/api/v1/items", item_body("w1", [] {
         std::string s;
         for (int i = 0; i < 700; ++i) s += "\xe2\x82\xac";  // 2100 bytes of euro signs
         return s;
       }()), 400, "VALIDATION_FAILED"},
      {"body over max_body_bytes", "POST", "/api/v1/items", item_body("w1", std::string(9000, 'x')), 413, "PAYLOAD_TOO_LARGE"},
      {"Idempotency-Key too long", "POST", "/api/v1/items", item_body("w1", "a"), 400, "VALIDATION_FAILED", who::user,
       {{"Idempotency-Key", std::string(300, 'k')}}},
      {"text/plain body", "POST", "/api/v1/items", item_body("w1", "a"), 415, "UNSUPPORTED_MEDIA_TYPE", who::user,
       {{"Content-Type", "text/plain"}}},
      {"no token", "POST", "/api/v1/items", item_body("w1", "a"), 401, "UNAUTHORIZED", who::nobody},
      // GET /items: limits, cursors, filters
      {"limit 0", "GET", "/api/v1/items?limit=0", "", 400, "VALIDATION_FAILED"},
      {"limit negative", "GET", "/api/v1/items?limit=-1", "", 400, "VALIDATION_FAILED"},
      {"limit not a number", "GET", "/api/v1/items?limit=ten", "", 400, "VALIDATION_FAILED"},
      {"limit over the maximum", "GET", "/api/v1/items?limit=201", "", 400, "VALIDATION_FAILED"},
      {"limit with a fraction", "GET", "/api/v1/items?limit=1.5", "", 400, "VALIDATION_FAILED"},
      {"limit absurdly large", "GET", "/api/v1/items?limit=99999999999999999999", "", 400, "VALIDATION_FAILED"},
      {"cursor with bad characters", "GET", "/api/v1/items?cursor=!!!", "", 400, "VALIDATION_FAILED"},
      {"cursor too short", "GET", "/api/v1/items?cursor=YWJj", "", 400, "VALIDATION_FAILED"},
      {"cursor of a forged key", "GET", "/api/v1/items?cursor=" + base64url("../../other-user/xxxxxxxxxxxxxxxxxxx"), "", 400,
       "VALIDATION_FAILED"},
      {"cursor far too long", "GET", "/api/v1/items?cursor=" + std::string(600, 'A'), "", 400, "VALIDATION_FAILED"},
      {"unknown status filter", "GET", "/api/v1/items?status=done", "", 400, "VALIDATION_FAILED"},
      {"bad workspace filter", "GET", "/api/v1/items?workspace=w%2F1", "", 400, "VALIDATION_FAILED"},
      {"workspace filter not granted", "GET", "/api/v1/items?workspace=w2", "", 403, "FORBIDDEN"},
      // Items by id and control bodies
      {"unknown item", "GET", "/api/v1/items/01ARZ3NDEKTSV4RRFFQ69G5FAV", "", 404, "NOT_FOUND"},
      {"id that is not a ULID", "GET", "/api/v1/items/..%2F..%2Fetc", "", 404, "NOT_FOUND"},
      {"unknown sub-resource", "GET", item + "/secrets", "", 404, "NOT_FOUND"},
      {"PUT on an item", "PUT", item, "{}", 405, "METHOD_NOT_ALLOWED"},
      {"retry stages not an array", "POST", item + "/retry", R"({"stages":"sentiment"})", 400, "VALIDATION_FAILED"},
      {"retry stages of numbers", "POST", item + "/retry", R"({"stages":[1,2]})", 400, "VALIDATION_FAILED"},
      {"retry unknown field", "POST", item + "/retry", R"({"stage":["sentiment"]})", 400, "VALIDATION_FAILED"},
      {"rollback stage a number", "POST", item + "/rollback", R"({"stage":5})", 400, "VALIDATION_FAILED"},
      {"rollback extra field", "POST", item + "/rollback", R"({"stage":"embed","force":true})", 400, "VALIDATION_FAILED"},
      {"rollback truncated", "POST", item + "/rollback", R"({"stage":"emb)", 400, "INVALID_JSON"},
      {"pause with a body", "POST", item + "/pause", R"({"now":true})", 400, "VALIDATION_FAILED"},
      {"cancel with an array", "POST", item + "/cancel", "[]", 400, "VALIDATION_FAILED"},
      // Workspaces
      {"metrics of a workspace not granted", "GET", "/api/v1/workspaces/w2/ai/metrics", "", 403, "FORBIDDEN"},
      {"metrics of a bad workspace id", "GET", "/api/v1/workspaces/w$1/ai/metrics", "", 400, "VALIDATION_FAILED"},
      {"failed-items limit 0", "GET", "/api/v1/workspaces/w1/ai/failed-items?limit=0", "", 400, "VALIDATION_FAILED"},
      {"retry-failed with a body", "POST", "/api/v1/workspaces/w1/ai/retry-failed", R"({"all":true})", 400, "VALIDATION_FAILED"},
      // Admin
      {"admin route as a user", "GET", "/api/v1/admin/queue", "", 403, "FORBIDDEN"},
      {"requeue without ids or all", "POST", "/api/v1/admin/dlq/requeue", "{}", 400, "VALIDATION_FAILED", who::admin},
      {"requeue ids not an array", "POST", "/api/v1/admin/dlq/requeue", R"({"ids":"x:y"})", 400, "VALIDATION_FAILED", who::admin},
      {"requeue id without a stage", "POST", "/api/v1/admin/dlq/requeue", R"({"ids":["nocolon"]})", 400, "VALIDATION_FAILED",
       who::admin},
      {"requeue all not a bool", "POST", "/api/v1/admin/dlq/requeue", R"({"all":"yes"})", 400, "VALIDATION_FAILED", who::admin},
      {"resolve an unknown letter", "POST", "/api/v1/admin/dlq/nothing:here/resolve", "", 404, "NOT_FOUND", who::admin},
      {"dlq bad cursor", "GET", "/api/v1/admin/dlq?cursor=%%%", "", 400, "VALIDATION_FAILED", who::admin},
      {"dlq limit too large", "GET", "/api/v1/admin/dlq?limit=5000", "", 400, "VALIDATION_FAILED", who::admin},
  };
  REQUIRE(rows.size() >= 40);

  for (const auto& r : rows) {
    INFO(r.what << ": " << r.method << " " << r.path << " " << r.body.substr(0, 80));
    std::map<std::string, std::string> headers = r.headers;
    if (r.as != who::nobody) headers["Authorization"] = "Bearer " + (r.as == who::admin ? admin : user);
    if (!r.body.empty() && !headers.count("Content-Type")) headers["Content-Type"] = "application/json";
    auto resp = c.send(r.method, r.path, r.body, headers);
    INFO("-> " << resp.status << " " << resp.body.substr(0, 300));
    CHECK(resp.status == r.status);
    CHECK(resp.error_code() == r.code);
    CHECK(!resp.json().at("error").at("message").as_string().empty());
  }

  // Valid unicode is accepted and comes back byte for byte.
  for (const std::string text : {std::string("emoji \xf0\x9f\x98\xa1 and CJK \xe6\xbc\xa2\xe5\xad\x97"),
                                 std::string("combining e\xcc\x81 and RTL \xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d"),
                                 std::string("escaped \\u00e9 NUL \\u0000 and pair \\ud83d\\ude00")}) {
    auto r = c.post("/api/v1/items", R"({"workspace":"w1","text":")" + text + "\"}", user);
    INFO(text << " -> " << r.body);
    REQUIRE(r.status == 201);
    auto id = std::string(r.json().at("id").as_string());
    auto back = get_object(c, "/api/v1/items/" + id, user);
    auto expected = boost::json::parse("\"" + text + "\"").as_string();
    CHECK(back.at("text").as_string() == expected);
  }

  // Oversized WebSocket frames close that socket only.
  ws_client big(srv.port(), user, {.send_first = {std::string(100000, 'x')}});
  big.wait_for([](auto&) { return false; }, 3s);
  CHECK(big.closed());

  // Nothing accepted was lost or changed; the server still works.
  CHECK(get_object(c, "/api/v1/items/" + kept, user) == kept_before);
  auto after = submit(c, user, "w1", "accepted after the bad input");
  CHECK(wait_terminal(c, user, {after}, 10s));
  auto list = get_object(c, "/api/v1/items?workspace=w1&limit=200", user);
  CHECK(list.at("items").as_array().size() == 5);  // kept, three unicode items, after
}

namespace {

// A multipart/form-data body with boundary XyZ from raw parts.
std::string form(std::initializer_list<std::string> parts, bool closed = true) {
  std::string out;
  for (const auto& p : parts) out += "--XyZ\r\n" + p + "\r\n";
  return closed ? out + "--XyZ--\r\n" : out;
}
const std::string category_part = "Content-Disposition: form-data; name=\"category\"\r\n\r\nwatch";
std::string image_part(const std::string& bytes) {
  return "Content-Disposition: form-data; name=\"image\"; filename=\"p.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n" + bytes;
}

bool wait_closed(ws_client& ws, std::chrono::milliseconds timeout) {
  ws.wait_for([](auto&) { return false; }, timeout);  // returns when the socket closes
  return ws.closed();
}

std::string type_of(const boost::json::object& f) {
  auto* t = f.if_contains("type");
  return t && t->is_string() ? std::string(t->as_string()) : std::string();
}

}  // namespace

TEST_CASE("bad-input matrix: malformed multipart uploads and WebSocket client frames") {
  temp_dir dir;
  server_process srv(dir, config_builder().section("assets", "max_image_bytes = 65536\n").str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto user = make_token("uma", {"w1"});
  const auto photo = image_bytes("bad/png_named.jpg");  // a real PNG photo
  const auto kept = upload_ok(c, user, photo, "watch");

  const std::string mp = "multipart/form-data; boundary=XyZ";
  const std::vector<row> rows = {
      {"multipart without a boundary", "POST", "/api/v1/assets", form({category_part}), 400, "VALIDATION_FAILED", who::user,
       {{"Content-Type", "multipart/form-data"}}},
      {"boundary over 70 characters", "POST", "/api/v1/assets", form({category_part}), 400, "VALIDATION_FAILED", who::user,
       {{"Content-Type", "multipart/form-data; boundary=" + std::string(71, 'b')}}},
      {"body not opened by its boundary", "POST", "/api/v1/assets", "hello " + form({category_part}), 400, "VALIDATION_FAILED",
       who::user, {{"Content-Type", "multipart/form-data; boundary=Other"}}},
      {"truncated: no closing boundary", "POST", "/api/v1/assets", form({category_part, image_part(photo)}, false), 400,
       "VALIDATION_FAILED", who::user, {{"Content-Type", mp}}},
      {"truncated inside the image", "POST", "/api/v1/assets", "--XyZ\r\n" + image_part(photo.substr(0, 900)), 400,
       "VALIDATION_FAILED", who::user, {{"Content-Type", mp}}},
      {"a part without Content-Disposition", "POST", "/api/v1/assets", form({"Content-Type: text/plain\r\n\r\nwatch"}), 400,
       "VALIDATION_FAILED", who::user, {{"Content-Type", mp}}},
      {"Content-Disposition not form-data", "POST", "/api/v1/assets",
       form({"Content-Disposition: attachment; name=\"category\"\r\n\r\nwatch"}), 400, "VALIDATION_FAILED", who::user,
       {{"Content-Type", mp}}},
      {"a malformed part header", "POST", "/api/v1/assets", form({"Content-Disposition form-data\r\n\r\nwatch"}), 400,
       "VALIDATION_FAILED", who::user, {{"Content-Type", mp}}},
      {"the same field twice", "POST", "/api/v1/assets", form({category_part, category_part, image_part(photo)}), 400,
       "VALIDATION_FAILED", who::user, {{"Content-Type", mp}}},
      {"a field over its limit", "POST", "/api/v1/assets",
       form({"Content-Disposition: form-data; name=\"title\"\r\n\r\n" + std::string(5000, 't'), category_part, image_part(photo)}), 400,
       "VALIDATION_FAILED", who::user, {{"Content-Type", mp}}},
      {"category as a file of garbage bytes", "POST", "/api/v1/assets",
       form({"Content-Disposition: form-data; name=\"category\"\r\n\r\n\xff\xfe\x00\x01", image_part(photo)}), 400,
       "VALIDATION_FAILED", who::user, {{"Content-Type", mp}}},
      {"a title that is not UTF-8", "POST", "/api/v1/assets",
       form({"Content-Disposition: form-data; name=\"title\"\r\n\r\ncaf\xe9", category_part, image_part(photo)}), 400,
       "VALIDATION_FAILED", who::user, {{"Content-Type", mp}}},
      {"no image part", "POST", "/api/v1/assets", form({category_part}), 400, "VALIDATION_FAILED", who::user, {{"Content-Type", mp}}},
      {"an empty image", "POST", "/api/v1/assets", form({category_part, image_part("")}), 400, "VALIDATION_FAILED", who::user,
       {{"Content-Type", mp}}},
      {"an image of HTML", "POST", "/api/v1/assets", form({category_part, image_part("<html><body>hi</body></html>")}), 415,
       "UNSUPPORTED_MEDIA_TYPE", who::user, {{"Content-Type", mp}}},
      {"the image over assets.max_image_bytes", "POST", "/api/v1/assets",
       form({category_part, image_part("\x89PNG\r\n\x1a\n" + std::string(70000, 'x'))}), 413, "PAYLOAD_TOO_LARGE", who::user,
       {{"Content-Type", mp}}},
      {"a urlencoded form", "POST", "/api/v1/assets", "category=watch&image=abc", 415, "UNSUPPORTED_MEDIA_TYPE", who::user,
       {{"Content-Type", "application/x-www-form-urlencoded"}}},
      {"multipart to the items route", "POST", "/api/v1/items", form({category_part}), 415, "UNSUPPORTED_MEDIA_TYPE", who::user,
       {{"Content-Type", mp}}},
      {"an upload without a token", "POST", "/api/v1/assets", form({category_part, image_part(photo)}), 401, "UNAUTHORIZED",
       who::nobody, {{"Content-Type", mp}}},
      {"an upload with a forged token", "POST", "/api/v1/assets", form({category_part, image_part(photo)}), 401, "UNAUTHORIZED",
       who::nobody, {{"Content-Type", mp}, {"Authorization", "Bearer " + user.substr(0, user.size() - 4) + "AAAA"}}},
      {"an asset id that is not a ULID", "GET", "/api/v1/assets/..%2Fsecret", "", 404, "NOT_FOUND"},
      {"an asset listing with a bad status", "GET", "/api/v1/assets?status=draft", "", 400, "VALIDATION_FAILED"},
      {"an image URL with a forged signature", "GET", "/api/v1/assets/" + kept + "/image?expires=99999999999999&sig=00", "", 401,
       "UNAUTHORIZED", who::nobody},
  };
  for (const auto& r : rows) {
    INFO(r.what << ": " << r.method << " " << r.path);
    std::map<std::string, std::string> headers = r.headers;
    if (r.as != who::nobody) headers["Authorization"] = "Bearer " + user;
    auto resp = c.send(r.method, r.path, r.body, headers);
    INFO("-> " << resp.status << " " << resp.body.substr(0, 300));
    CHECK(resp.status == r.status);
    CHECK(resp.error_code() == r.code);
  }

  // WebSocket: every text that is not an accepted message gets an error
  // frame and the socket stays open; a binary frame closes it with 1003,
  // text that is not UTF-8 with 1007. Other sockets of the user are unaffected.
  ws_client calm(srv.port(), user);
  ws_client chatty(srv.port(), user, {.send_first = {"hello", R"({"type":"pi)", "[1,2]", R"({"type":42})", R"({"kind":"ping"})",
                                                     R"({"type":"subscribe","room":"admins"})", R"({"type":"ping","id":7})"}});
  ws_client binary(srv.port(), user, {.send_first = {R"({"type":"ping"})"}, .send_first_binary = true});
  ws_client not_utf8(srv.port(), user, {.send_first = {"{\"type\":\"ping\",\"x\":\"\xff\xfe\"}"}});
  // (The asset uploaded above may still send its events to every socket of
  // the user: look for the pong among them, not at the end.)
  auto has_pong = [](auto& f) { return std::any_of(f.begin(), f.end(), [](auto& x) { return type_of(x) == "pong"; }); };
  REQUIRE(chatty.wait_for(has_pong, 30s));
  std::vector<std::string> codes;
  for (const auto& f : chatty.frames())
    if (type_of(f) == "error") {
      codes.emplace_back(f.at("code").as_string());
      CHECK(!f.at("message").as_string().empty());
    }
  CHECK(codes == std::vector<std::string>{"INVALID_MESSAGE", "INVALID_MESSAGE", "INVALID_MESSAGE", "INVALID_MESSAGE",
                                          "INVALID_MESSAGE", "UNKNOWN_MESSAGE"});
  for (const auto& f : chatty.frames())
    if (type_of(f) == "pong") CHECK(f.at("id").to_number<int>() == 7);
  REQUIRE(wait_closed(binary, 10s));
  CHECK(binary.close_code() == 1003);
  REQUIRE(wait_closed(not_utf8, 10s));
  CHECK(not_utf8.close_code() == 1007);

  // The server keeps serving; the open sockets get the next event; nothing accepted was lost.
  auto id = submit(c, user, "w1", "after the bad frames");
  for (auto* s : {&calm, &chatty})
    CHECK(s->wait_for([&](auto& frames) {
      return std::any_of(frames.begin(), frames.end(), [&](auto& f) { return type_of(f) == "item.completed" && f.at("item_id").as_string() == id; });
    }, 10s));
  CHECK(!chatty.closed());
  CHECK(c.get("/api/v1/assets/" + kept, user).status == 200);
  CHECK(c.get("/api/v1/assets/" + kept + "/image", user).body == photo);
  CHECK(get_object(c, "/api/v1/assets", user).at("assets").as_array().size() == 1);
}
