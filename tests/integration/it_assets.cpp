// Image assets end to end on a real node (issue 15): the upload answered at
// once with the image durable, draft -> processing in the accepting write,
// the built-in analysis (libvips, Tesseract) giving brand and model,
// asset_processed to the owner's sockets only, a corrupt image failed at
// once with a readable error and a dead letter, retry, delete mid-run,
// duplicates among an owner's assets, FIFO within a workspace, listings.
#include <algorithm>
#include <set>
#include <thread>

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

std::string s(const boost::json::object& o, const char* k) {
  auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

// asset_processed frames for `id`.
std::vector<boost::json::object> processed(const std::vector<boost::json::object>& frames, const std::string& id = "") {
  std::vector<boost::json::object> out;
  for (const auto& f : frames)
    if (s(f, "type") == "asset_processed" && (id.empty() || s(f, "assetId") == id)) out.push_back(f);
  return out;
}

const labelled_image& first_of(const std::vector<labelled_image>& images, const std::string& variant, const std::string& category = "") {
  for (const auto& i : images)
    if (i.variant == variant && (category.empty() || i.category == category)) return i;
  throw std::runtime_error("no labelled image " + variant);
}

}  // namespace

TEST_CASE("an upload is answered at once with its image durable and the asset becomes active with brand and model") {
  temp_dir dir;
  server_process srv(dir, config_builder().str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto alice = make_token("alice", {"shop"});
  const auto bob = make_token("bob", {"shop"});
  const auto images = labelled_images();
  const auto& photo = first_of(images, "clean", "watch");
  ws_client phone(srv.port(), alice), laptop(srv.port(), alice), other(srv.port(), bob);
  REQUIRE(phone.connected());

  auto r = upload(c, alice, photo.bytes, photo.category, {}, "dial.jpg");
  INFO(r.body);
  REQUIRE(r.status == 201);
  const auto body = r.json().as_object();
  const auto id = s(body, "assetId");
  CHECK(s(body, "jobId") == id);
  CHECK(s(body, "status") == "processing");
  CHECK(r.header("Location") == "/api/v1/assets/" + id);

  // Durable before the 201: the stored image is served right away, byte for byte.
  auto img = c.get("/api/v1/assets/" + id + "/image", alice);
  CHECK(img.status == 200);
  CHECK(img.header("Content-Type") == "image/jpeg");
  CHECK(img.body == photo.bytes);
  // Created draft and moved to processing in the write that accepted it.
  auto history = history_of(c, alice, id);
  REQUIRE(history.size() >= 3);
  const auto accepted_at = s(history[0].as_object(), "at");
  CHECK(s(history[1].as_object(), "to") == "asset:draft");
  CHECK(s(history[2].as_object(), "from") == "asset:draft");
  CHECK(s(history[2].as_object(), "to") == "asset:processing");
  CHECK(s(history[1].as_object(), "at") == accepted_at);
  CHECK(s(history[2].as_object(), "at") == accepted_at);

  // Every socket of the owner hears it once; nobody else does.
  REQUIRE(phone.wait_for([&](auto& f) { return processed(f, id).size() == 1; }, 120s));
  REQUIRE(laptop.wait_for([&](auto& f) { return processed(f, id).size() == 1; }, 10s));
  const auto event = processed(phone.frames(), id).front();
  CHECK(s(event, "status") == "active");
  const auto& meta = event.at("metadata").as_object();
  CHECK(s(meta, "brand") == photo.brand);
  CHECK(s(meta, "model") == photo.model);
  CHECK(meta.at("confidence").at("brand").to_number<double>() > 0.5);
  CHECK(s(meta, "format") == "jpeg");
  CHECK(meta.at("width").to_number<int>() == 720);
  CHECK(meta.at("height").to_number<int>() == 540);
  CHECK(s(meta, "phash").size() == 16);
  CHECK(!meta.at("dominant_colors").as_array().empty());
  std::this_thread::sleep_for(300ms);
  CHECK(processed(other.frames()).empty());
  CHECK(processed(phone.frames(), id).size() == 1);

  // The asset as the API shows it.
  auto asset = get_object(c, "/api/v1/assets/" + id, alice);
  CHECK(s(asset, "status") == "active");
  CHECK(s(asset, "job_status") == "completed");
  CHECK(s(asset, "category") == "watch");
  CHECK(s(asset, "title") == "dial.jpg");
  CHECK(s(asset.at("metadata").as_object(), "brand") == photo.brand);
  CHECK(s(asset.at("upload").as_object(), "content_type") == "image/jpeg");
  for (auto stage : {"decode", "ocr", "vision", "extract", "duplicate"})
    CHECK(s(asset.at("stages").at(stage).as_object(), "status") == "completed");
  // Another user's asset does not exist for them.
  CHECK(c.get("/api/v1/assets/" + id, bob).status == 404);
  CHECK(c.get("/api/v1/assets/" + id + "/image", bob).status == 404);
  // The seed's path answers the same way.
  auto again = upload(c, alice, photo.bytes, photo.category, {}, "dial.jpg", "/api/assets/analyze-queue");
  CHECK(again.status == 201);
  CHECK(s(again.json().as_object(), "status") == "processing");
}

TEST_CASE("upload refusals: token, fields, category, content, size and pixels, and the node keeps serving") {
  temp_dir dir;
  server_process srv(dir, config_builder().section("assets", "max_image_bytes = 65536\n").str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto user = make_token("uma", {"w1"});
  const auto photo = image_bytes("bad/png_named.jpg");  // a real photo (PNG, 49 KB) under a .jpg name
  const std::string big(200000, 'x');

  struct row {
    const char* what;
    response r;
    int status;
    const char* code;
  };
  const std::vector<row> rows = {
      {"no token", upload(c, "", photo, "watch"), 401, "UNAUTHORIZED"},
      {"no image", c.post_form("/api/v1/assets", user, {{"category", "watch"}}, {}), 400, "VALIDATION_FAILED"},
      {"no category", upload(c, user, photo, ""), 400, "VALIDATION_FAILED"},
      {"unknown category", upload(c, user, photo, "cars"), 400, "VALIDATION_FAILED"},
      {"unknown field", upload(c, user, photo, "watch", {{"price", "12"}}), 400, "VALIDATION_FAILED"},
      {"workspace not granted", upload(c, user, photo, "watch", {{"workspace", "w2"}}), 403, "FORBIDDEN"},
      {"a text file named .jpg", upload(c, user, image_bytes("bad/text_named.jpg"), "watch"), 415, "UNSUPPORTED_MEDIA_TYPE"},
      {"zero bytes", upload(c, user, "", "watch"), 400, "VALIDATION_FAILED"},
      {"1 x 1 pixels", upload(c, user, image_bytes("bad/one_pixel.png"), "watch"), 400, "VALIDATION_FAILED"},
      {"decompression bomb", upload(c, user, image_bytes("bad/bomb.png"), "watch"), 413, "PAYLOAD_TOO_LARGE"},
      {"huge-dimension header", upload(c, user, image_bytes("bad/huge_header.png"), "watch"), 413, "PAYLOAD_TOO_LARGE"},
      {"over assets.max_image_bytes", upload(c, user, "\xFF\xD8\xFF" + big, "watch"), 413, "PAYLOAD_TOO_LARGE"},
      {"JSON instead of a form", c.post("/api/v1/assets", R"({"category":"watch"})", user), 415, "UNSUPPORTED_MEDIA_TYPE"},
  };
  for (const auto& x : rows) {
    INFO(x.what << " -> " << x.r.status << " " << x.r.body);
    CHECK(x.r.status == x.status);
    CHECK(x.r.error_code() == x.code);
  }
  // An unknown category lists the valid ones, from the dictionary.
  auto unknown = upload(c, user, photo, "cars").json().at("error").as_object();
  CHECK(std::string(unknown.at("message").as_string()).find("action_figure, sneaker, trading_card, vinyl_record, watch") !=
        std::string::npos);
  CHECK(unknown.at("details").at("valid").as_array().size() == 5);

  // A body declared over the limit is refused from its header: the server
  // answers 413 while the client has sent almost none of it.
  const std::string head = "POST /api/v1/assets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + user +
                           "\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 500000000\r\n\r\n--XyZ\r\n";
  auto early = raw_exchange(srv.port(), head, 3000);
  CHECK(early.find("HTTP/1.1 413") == 0);
  // A chunked body (no length) is stopped as the image passes the limit.
  std::string chunked = "POST /api/v1/assets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + user +
                        "\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string part = "--XyZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\n\r\n" + big;
  for (std::size_t at = 0; at < part.size(); at += 16384) {
    auto piece = part.substr(at, 16384);
    char len[16];
    std::snprintf(len, sizeof len, "%zx", piece.size());
    chunked += std::string(len) + "\r\n" + piece + "\r\n";
  }
  auto stopped = raw_exchange(srv.port(), chunked, 3000);
  CHECK(stopped.find("HTTP/1.1 413") == 0);
  // No token: refused before the body is read.
  auto anonymous = raw_exchange(srv.port(),
                                "POST /api/v1/assets HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
                                "boundary=XyZ\r\nContent-Length: 100000\r\n\r\n--XyZ\r\n",
                                3000);
  CHECK(anonymous.find("HTTP/1.1 401") == 0);

  // Content decides, not the name or the declared type: a PNG named .jpg
  // sent as image/jpeg is read as the PNG it is.
  auto png = upload(c, user, photo, "watch", {}, "photo.jpg");
  REQUIRE(png.status == 201);
  auto id = s(png.json().as_object(), "assetId");
  auto asset = wait_asset(c, user, id, 120s);
  REQUIRE(!asset.empty());
  CHECK(s(asset.at("upload").as_object(), "content_type") == "image/png");
  CHECK(s(asset.at("upload").as_object(), "declared_type") == "image/jpeg");
  CHECK(s(asset.at("metadata").as_object(), "format") == "png");
  CHECK(c.get("/api/v1/assets/" + id + "/image", user).header("Content-Type") == "image/png");
  // Only that one was accepted.
  CHECK(get_object(c, "/api/v1/assets", user).at("assets").as_array().size() == 1);
  CHECK(c.get("/healthz").status == 200);
}

TEST_CASE("a corrupt image fails at once with a readable error, a dead letter and word to admins, and retry runs it again") {
  temp_dir dir;
  server_process srv(dir, config_builder().str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto user = make_token("tess", {"w1"});
  const auto admin = make_token("root", {"*"}, "admin");
  ws_client mine(srv.port(), user), admins(srv.port(), admin);

  auto id = upload_ok(c, user, image_bytes("bad/truncated.jpg"), "watch");
  REQUIRE(mine.wait_for([&](auto& f) { return processed(f, id).size() == 1; }, 60s));
  const auto event = processed(mine.frames(), id).front();
  CHECK(s(event, "status") == "failed");
  CHECK(s(event, "error").find("decode: the image data is truncated") == 0);
  auto asset = get_object(c, "/api/v1/assets/" + id, user);
  CHECK(s(asset, "status") == "failed");
  CHECK(asset.at("stages").at("decode").at("attempts").to_number<int>() == 1);  // permanent: never retried
  CHECK(s(asset.at("stages").at("ocr").as_object(), "status") == "skipped");
  // A dead letter, and the admins' room told.
  auto dlq = get_object(c, "/api/v1/admin/dlq", admin).at("items").as_array();
  REQUIRE(dlq.size() == 1);
  CHECK(s(dlq[0].as_object(), "id") == id + ":decode");
  REQUIRE(admins.wait_for(
      [&](auto& f) { return std::any_of(f.begin(), f.end(), [&](auto& x) { return s(x, "type") == "dlq.added" && s(x, "item_id") == id; }); },
      10s));

  // Retry: refused while processing, accepted once failed; it fails again, told again.
  CHECK(post_action(c, "/api/v1/assets/" + id + "/retry", user).status == 200);
  REQUIRE(mine.wait_for([&](auto& f) { return processed(f, id).size() == 2; }, 60s));
  CHECK(s(processed(mine.frames(), id).back(), "status") == "failed");
  auto active = upload_ok(c, user, image_bytes("watch/01-rolex-oyster-perpetual-clean.jpg"), "watch");
  auto busy = post_action(c, "/api/v1/assets/" + active + "/retry", user);
  if (busy.status != 200) CHECK(busy.error_code() == "INVALID_TRANSITION");  // unless it already finished
  CHECK(post_action(c, "/api/v1/assets/01ARZ3NDEKTSV4RRFFQ69G5FAV/retry", user).status == 404);
}

TEST_CASE("an asset deleted while it runs is skipped quietly: no event, no image, no listing") {
  temp_dir dir;
  fake_worker worker(dir, "--delay-ms 1500");
  server_process srv(dir, config_builder().asset_pipeline(worker_asset_pipeline(worker.url())).str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto user = make_token("dora", {"w1"});
  ws_client sock(srv.port(), user);
  const auto bytes = image_bytes("sneaker/01-hoka-mach-5-clean.jpg");
  auto doomed = upload_ok(c, user, bytes, "sneaker");
  auto kept = upload_ok(c, user, bytes, "sneaker");
  std::this_thread::sleep_for(300ms);  // the worker is analysing both
  auto del = c.send("DELETE", "/api/v1/assets/" + doomed, "", {{"Authorization", "Bearer " + user}});
  INFO(del.body);
  REQUIRE(del.status == 200);
  CHECK(s(del.json().as_object(), "status") == "deleted");
  REQUIRE(sock.wait_for([&](auto& f) { return processed(f, kept).size() == 1; }, 30s));
  std::this_thread::sleep_for(2s);
  CHECK(processed(sock.frames(), doomed).empty());
  CHECK(c.get("/api/v1/assets/" + doomed, user).status == 404);
  CHECK(c.get("/api/v1/assets/" + doomed + "/image", user).status == 404);
  auto list = get_object(c, "/api/v1/assets", user).at("assets").as_array();
  REQUIRE(list.size() == 1);
  CHECK(s(list[0].as_object(), "id") == kept);
  auto counts = get_object(c, "/api/v1/workspaces/w1/assets", user).at("counts").as_object();
  CHECK(counts.at("active").to_number<int>() == 1);
  CHECK(counts.at("processing").to_number<int>() == 0);
  CHECK(counts.at("total").to_number<int>() == 1);
}

TEST_CASE("duplicates are found among the owner's assets by perceptual hash, not among other users'") {
  temp_dir dir;
  fake_worker worker(dir, "");
  server_process srv(dir, config_builder().asset_pipeline(worker_asset_pipeline(worker.url())).str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto ann = make_token("ann", {"w1"}), ben = make_token("ben", {"w1"});
  const auto original = image_bytes("vinyl_record/01-impulse-ballads-clean.jpg");
  const auto other = image_bytes("watch/01-rolex-oyster-perpetual-clean.jpg");
  auto first = upload_ok(c, ann, original, "vinyl_record");
  REQUIRE(!wait_asset(c, ann, first, 60s).empty());
  auto copy = upload_ok(c, ann, original, "vinyl_record");
  auto different = upload_ok(c, ann, other, "watch");
  auto bens = upload_ok(c, ben, original, "vinyl_record");
  auto m = [&](const std::string& token, const std::string& id) { return wait_asset(c, token, id, 60s).at("metadata").as_object(); };
  auto copy_meta = m(ann, copy);
  CHECK(copy_meta.at("is_duplicate").as_bool());
  CHECK(s(copy_meta, "duplicate_of") == first);
  CHECK(!m(ann, different).at("is_duplicate").as_bool());
  CHECK(!m(ben, bens).at("is_duplicate").as_bool());  // another owner's photo is not a duplicate
}

TEST_CASE("a workspace's assets run in the order they were accepted") {
  temp_dir dir;
  fake_worker worker(dir, "--delay-ms 50");
  server_process srv(dir, config_builder()
                              .section("actors", "max_active_per_workspace = 1\n")
                              .asset_pipeline(worker_asset_pipeline(worker.url()))
                              .str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto user = make_token("fifo", {"w1"});
  ws_client sock(srv.port(), user);
  const auto bytes = image_bytes("sneaker/01-hoka-mach-5-clean.jpg");
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(upload_ok(c, user, bytes, "sneaker"));
  REQUIRE(sock.wait_for([&](auto& f) { return processed(f).size() == ids.size(); }, 60s));
  std::vector<std::string> order;
  for (const auto& f : processed(sock.frames())) order.push_back(s(f, "assetId"));
  CHECK(order == ids);
}

TEST_CASE("asset listings: the owner's with a cursor and filters, a workspace's with counts, every one for admins") {
  temp_dir dir;
  fake_worker worker(dir, "");
  server_process srv(dir, config_builder().asset_pipeline(worker_asset_pipeline(worker.url())).str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto amy = make_token("amy", {"w1", "w2"}), bo = make_token("bo", {"w1"});
  const auto admin = make_token("root", {"*"}, "admin");
  const auto good = image_bytes("sneaker/01-hoka-mach-5-clean.jpg");
  std::vector<std::string> amys;
  amys.push_back(upload_ok(c, amy, good, "sneaker", {{"workspace", "w1"}}));
  amys.push_back(upload_ok(c, amy, good, "sneaker", {{"workspace", "w2"}}));
  amys.push_back(upload_ok(c, amy, image_bytes("bad/truncated.jpg"), "watch", {{"workspace", "w1"}}));
  auto bos = upload_ok(c, bo, good, "sneaker");
  for (auto& id : amys) REQUIRE(!wait_asset(c, amy, id, 60s).empty());
  REQUIRE(!wait_asset(c, bo, bos, 60s).empty());

  std::vector<std::string> seen;
  std::string cursor;
  for (int pages = 0; pages < 5; ++pages) {
    auto page = get_object(c, "/api/v1/assets?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor), amy);
    for (auto& a : page.at("assets").as_array()) seen.push_back(s(a.as_object(), "id"));
    if (page.at("next_cursor").is_null()) break;
    cursor = std::string(page.at("next_cursor").as_string());
  }
  CHECK(seen == std::vector<std::string>(amys.rbegin(), amys.rend()));  // newest first, each once, only hers
  auto failed = get_object(c, "/api/v1/assets?status=failed", amy).at("assets").as_array();
  REQUIRE(failed.size() == 1);
  CHECK(s(failed[0].as_object(), "id") == amys[2]);
  CHECK(get_object(c, "/api/v1/assets?workspace=w2", amy).at("assets").as_array().size() == 1);

  auto ws = get_object(c, "/api/v1/workspaces/w1/assets", amy);
  CHECK(ws.at("assets").as_array().size() == 2);  // hers in w1; bo's is his
  CHECK(ws.at("counts").at("active").to_number<int>() == 2);  // amy's and bo's
  CHECK(ws.at("counts").at("failed").to_number<int>() == 1);
  CHECK(get_object(c, "/api/v1/workspaces/w1/assets", admin).at("assets").as_array().size() == 3);
  auto all = get_object(c, "/api/v1/admin/assets", admin);
  CHECK(all.at("assets").as_array().size() == 4);
  CHECK(all.at("counts").at("total").to_number<int>() == 4);
  CHECK(get_object(c, "/api/v1/admin/assets?owner=bo", admin).at("assets").as_array().size() == 1);
  CHECK(c.get("/api/v1/admin/assets", amy).status == 403);
  CHECK(c.get("/api/v1/workspaces/w2/assets", bo).status == 403);
  CHECK(c.get("/api/v1/assets?status=draft", amy).status == 400);
  CHECK(c.get("/api/v1/assets?cursor=nope", amy).status == 400);

  // Bulk retry of a workspace's failed assets (hers).
  auto retried = post_action(c, "/api/v1/workspaces/w1/assets/retry-failed", amy);
  REQUIRE(retried.status == 200);
  CHECK(retried.json().at("queued").to_number<int>() == 1);
}
