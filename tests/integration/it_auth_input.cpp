// Auth and bad input: every refusal is a JSON error with the right status
// and code, the server keeps serving after each, and nothing accepted is lost.
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include "api.hpp"
#include "config.hpp"
#include "process.hpp"
#include "tokens.hpp"
#include "ws.hpp"

using namespace pwtest;

namespace {

struct fixture {
  temp_dir dir;
  server_process srv{dir, config_builder()
                              .section("limits", "max_body_bytes = 4096\nmax_text_bytes = 1000\nmax_json_depth = 8\n"
                                                     "max_title_bytes = 20\n")
                              .str()};
  fixture() {
    srv.start();
    REQUIRE(srv.wait_ready());
  }
};

// The server still answers and still accepts work.
void still_serving(http& c, const std::string& token) {
  REQUIRE(c.get("/healthz").status == 200);
  auto id = submit(c, token, "w1", "still here");
  REQUIRE(wait_terminal(c, token, {id}, std::chrono::seconds(10)));
}

}  // namespace

TEST_CASE("tokens: missing, forged, expired, alg none and malformed are 401") {
  fixture f;
  http c(f.srv.port());
  const auto good = make_token("alice", {"w1"});
  struct row {
    const char* what;
    std::map<std::string, std::string> headers;
  };
  const std::vector<row> rows = {
      {"no Authorization header", {}},
      {"bad signature", {{"Authorization", "Bearer " + token_bad_signature("alice")}}},
      {"expired", {{"Authorization", "Bearer " + make_token("alice", {"w1"}, "user", std::chrono::seconds(-60))}}},
      {"alg none", {{"Authorization", "Bearer " + token_alg_none("alice")}}},
      {"not a JWT", {{"Authorization", "Bearer not.a.jwt"}}},
      {"two parts", {{"Authorization", "Bearer abc.def"}}},
      {"Basic scheme", {{"Authorization", "Basic YWxpY2U6cGFzcw=="}}},
      {"empty bearer", {{"Authorization", "Bearer "}}},
      {"sub missing", {{"Authorization", "Bearer " + make_token("", {"w1"})}}},
      // A byte over 0x7f in a part (found by the jwt fuzz target: cpp-jwt's
      // base64 decoder read it from outside its table).
      {"a byte over 0x7f", {{"Authorization", "Bearer " + good.substr(0, good.size() - 4) + "\xc3\xa9"}}},
      {"a space inside", {{"Authorization", "Bearer " + good.substr(0, 20) + " " + good.substr(20)}}},
  };
  for (const auto& r : rows) {
    INFO(r.what);
    auto h = r.headers;
    h["Content-Type"] = "application/json";
    auto resp = c.send("POST", "/api/v1/items", item_body("w1", "hello"), h);
    CHECK(resp.status == 401);
    CHECK(resp.error_code() == "UNAUTHORIZED");
    CHECK(resp.header("Content-Type") == "application/json");
    if (std::string(r.what).starts_with("a ")) CHECK(resp.body.find("malformed token") != std::string::npos);
    auto get = c.send("GET", "/api/v1/items/01M874VAH07TBZVCX97F4Z8YFJ", "", r.headers);
    CHECK(get.status == 401);
  }
  // The WebSocket refuses the same tokens.
  CHECK(ws_client(f.srv.port(), token_alg_none("alice")).handshake_status() == 401);
  CHECK(ws_client(f.srv.port(), "").handshake_status() == 401);
  CHECK(ws_client(f.srv.port(), good, {.token_in_header = true}).connected());
  still_serving(c, good);
}

TEST_CASE("workspaces and ownership: 403 outside the token's workspaces, 404 for another user's item") {
  fixture f;
  http c(f.srv.port());
  const auto alice = make_token("alice", {"w1"});
  const auto mallory = make_token("mallory", {"*"});
  auto r = c.post("/api/v1/items", item_body("w2", "not mine"), alice);
  CHECK(r.status == 403);
  CHECK(r.error_code() == "FORBIDDEN");

  auto id = submit(c, alice, "w1", "alice's private feedback");
  for (auto suffix : {"", "/processing-status", "/history"}) {
    auto resp = c.get("/api/v1/items/" + id + suffix, mallory);
    INFO(suffix);
    CHECK(resp.status == 404);
    CHECK(resp.error_code() == "NOT_FOUND");
    CHECK(resp.body.find("private") == std::string::npos);
  }
  CHECK(c.get("/api/v1/items/" + id, alice).status == 200);
  // An admin may read it.
  CHECK(c.get("/api/v1/items/" + id, make_token("ops", {"*"}, "admin")).status == 200);
  // Unknown and malformed ids are 404 too.
  CHECK(c.get("/api/v1/items/01M874VAH07TBZVCX97F4Z8YFJ", alice).status == 404);
  CHECK(c.get("/api/v1/items/..%2F..%2Fetc", alice).status == 404);
  // Admin routes need the admin role.
  CHECK(c.get("/api/v1/admin/dlq", alice).status == 403);
  still_serving(c, alice);
}

TEST_CASE("bad bodies: each answered with its status and code - the server keeps serving") {
  fixture f;
  http c(f.srv.port());
  const auto token = make_token("alice", {"w1"});
  auto accepted_before = submit(c, token, "w1", "accepted before the bad input");

  std::string deep = R"({"workspace":"w1","text":"x","metadata":)";
  for (int i = 0; i < 10; ++i) deep += R"({"a":)";
  deep += "1";
  for (int i = 0; i < 10; ++i) deep += "}";
  deep += "}";

  struct row {
    const char* what;
    std::string body;
    int status;
    const char* code;
    std::string content_type = "application/json";
  };
  const std::vector<row> rows = {
      {"malformed JSON", R"({"workspace": "w1", "text": })", 400, "INVALID_JSON"},
      {"truncated JSON", R"({"workspace": "w1", "text": "abc)", 400, "INVALID_JSON"},
      {"not JSON at all", "hello", 400, "INVALID_JSON"},
      {"empty body", "", 400, "INVALID_JSON"},
      {"invalid UTF-8", "{\"workspace\":\"w1\",\"text\":\"\xff\xfe\"}", 400, "INVALID_JSON"},
      {"too deep", deep, 400, "INVALID_JSON"},
      {"an array", R"([1,2,3])", 400, "VALIDATION_FAILED"},
      {"a string", R"("text")", 400, "VALIDATION_FAILED"},
      {"missing text", R"({"workspace":"w1"})", 400, "VALIDATION_FAILED"},
      {"missing workspace", R"({"text":"hi"})", 400, "VALIDATION_FAILED"},
      {"empty text", R"({"workspace":"w1","text":"   "})", 400, "VALIDATION_FAILED"},
      {"text is a number", R"({"workspace":"w1","text":42})", 400, "VALIDATION_FAILED"},
      {"text is null", R"({"workspace":"w1","text":null})", 400, "VALIDATION_FAILED"},
      {"workspace is an array", R"({"workspace":["w1"],"text":"hi"})", 400, "VALIDATION_FAILED"},
      {"workspace with a slash", R"({"workspace":"w/1","text":"hi"})", 400, "VALIDATION_FAILED"},
      {"title is a number", R"({"workspace":"w1","text":"hi","title":5})", 400, "VALIDATION_FAILED"},
      {"title too long", R"({"workspace":"w1","text":"hi","title":"123456789012345678901"})", 400, "VALIDATION_FAILED"},
      {"metadata is a string", R"({"workspace":"w1","text":"hi","metadata":"x"})", 400, "VALIDATION_FAILED"},
      {"unknown field", R"({"workspace":"w1","text":"hi","txt":"typo"})", 400, "VALIDATION_FAILED"},
      {"duplicate field", R"({"workspace":"w1","text":"a","text":"b"})", 400, "VALIDATION_FAILED"},
      {"text over max_text_bytes", item_body("w1", std::string(1001, 'x')), 400, "VALIDATION_FAILED"},
      {"body over max_body_bytes", item_body("w1", std::string(5000, 'x')), 413, "PAYLOAD_TOO_LARGE"},
      {"form content type", "workspace=w1&text=hi", 415, "UNSUPPORTED_MEDIA_TYPE", "application/x-www-form-urlencoded"},
  };
  for (const auto& r : rows) {
    INFO(r.what << ": " << r.body.substr(0, 80));
    auto resp = c.post("/api/v1/items", r.body, token, r.content_type);
    CHECK(resp.status == r.status);
    CHECK(resp.error_code() == r.code);
    auto msg = resp.json().at("error").at("message").as_string();
    CHECK_FALSE(msg.empty());
    REQUIRE(c.get("/healthz").status == 200);
  }
  // Field errors say which field.
  auto typo = c.post("/api/v1/items", R"({"workspace":"w1","text":"hi","txt":"typo"})", token);
  CHECK(typo.json().at("error").at("details").at("field").as_string() == "txt");

  // Routes and methods.
  auto missing = c.get("/api/v1/nothing", token);
  CHECK(missing.status == 404);
  CHECK(missing.error_code() == "NOT_FOUND");
  auto wrong_method = c.send("DELETE", "/api/v1/items", "", {{"Authorization", "Bearer " + token}});
  CHECK(wrong_method.status == 405);
  CHECK(wrong_method.header("Allow") == "POST, GET");

  // Malformed HTTP on a raw socket: answered or closed, never a crash.
  auto garbage = raw_exchange(f.srv.port(), "THIS IS NOT HTTP\r\n\r\n");
  CHECK(garbage.rfind("HTTP/1.1 400", 0) == 0);
  raw_exchange(f.srv.port(), std::string(64 * 1024, 'A'));
  raw_exchange(f.srv.port(), "POST /api/v1/items HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"trunc", 300);

  // What was accepted is still there and finished.
  REQUIRE(wait_terminal(c, token, {accepted_before}, std::chrono::seconds(10)));
  CHECK(status_of(c, token, accepted_before) == "completed");
  still_serving(c, token);
}

TEST_CASE("health and readiness need no token") {
  fixture f;
  http c(f.srv.port());
  CHECK(c.get("/healthz").status == 200);
  auto ready = c.get("/readyz");
  CHECK(ready.status == 200);
  CHECK(ready.json().at("status").as_string() == "ready");
}

TEST_CASE("pipewright token mints tokens the server accepts, with the role and workspaces asked for") {
  fixture f;
  http c(f.srv.port());
  auto mint = [&](const std::string& args) {
    std::string cmd = std::string(binary_path()) + " token --config " + f.dir.file("pipewright.toml") + " " + args + " 2>&1";
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    char buf[4096];
    while (p && fgets(buf, sizeof buf, p)) out += buf;
    int rc = p ? pclose(p) : -1;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return std::pair{WEXITSTATUS(rc), out};
  };
  auto [rc, token] = mint("--sub carol --workspaces w1,w2");
  REQUIRE(rc == 0);
  auto id = submit(c, token, "w2", "minted by the CLI");
  CHECK(c.post("/api/v1/items", item_body("w3", "not granted"), token).status == 403);
  CHECK(c.get("/api/v1/items/" + id, token).json().at("owner").as_string() == "carol");
  auto [rc_admin, admin] = mint("--sub root --role admin --ttl 60");
  REQUIRE(rc_admin == 0);
  CHECK(c.get("/api/v1/admin/dlq", admin).status == 200);
  auto [rc_bad, msg] = mint("--sub x --role superuser");
  CHECK(rc_bad != 0);
  CHECK_THAT(msg, Catch::Contains("role"));
  auto [rc_nosub, msg2] = mint("--role admin");
  CHECK(rc_nosub != 0);
  CHECK_THAT(msg2, Catch::Contains("--sub"));
}
