// fake_openai: an OpenAI-compatible provider for tests, on 127.0.0.1, plain
// HTTP and TLS (a CA of its own, written to --dir). It speaks the real
// protocol (tests/openai-sdk drives it with the official `openai` npm
// client): /v1/chat/completions (structured outputs), /v1/embeddings,
// /v1/files (multipart upload, list, retrieve, content, delete), /v1/batches
// (create, list, retrieve, cancel). Batches progress one step per retrieve
// and end as programmed. Behaviour is programmed with POST /_control (delays,
// invalid answers, 400s, 429 storms, batch outcomes, held requests) and read
// back with GET /_stats. It exits when its stdin closes, on SIGTERM, or
// after --max-seconds.
#include <csignal>
#include <cstdio>
#include <iostream>
#include <set>
#include <thread>

#include <httplib.h>
#include <unistd.h>

#include "answers.hpp"
#include "state.hpp"
#include "tls.hpp"

namespace json = boost::json;
using namespace fake_openai;

namespace {

void send_json(httplib::Response& res, int status, const json::value& v) {
  res.status = status;
  res.set_content(json::serialize(v), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message, const std::string& type = "invalid_request_error") {
  send_json(res, status, json::object{{"error", json::object{{"message", message}, {"type", type}, {"param", nullptr}, {"code", nullptr}}}});
}

std::optional<json::object> body_object(const httplib::Request& req) {
  boost::system::error_code ec;
  auto v = json::parse(req.body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

std::string str(const json::object& o, std::string_view k) {
  auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

// Waits while a hold rule matches this request (released by POST /_release).
void maybe_hold(state& st, const httplib::Request& req, bool after) {
  std::unique_lock lock(st.mu);
  for (auto& h : st.s.holds) {
    if (h.remaining <= 0 || h.after != after || h.method != req.method || req.path.rfind(h.path_prefix, 0) != 0) continue;
    --h.remaining;
    ++st.held;
    const auto gen = st.release_generation;
    st.released.wait(lock, [&] { return st.release_generation != gen; });
    --st.held;
    return;
  }
}

json::object file_json(const file_entry& f) {
  return {{"id", f.id},         {"object", "file"},       {"bytes", static_cast<std::int64_t>(f.content.size())},
          {"created_at", f.created_at}, {"filename", f.filename}, {"purpose", f.purpose}, {"status", "processed"}};
}

json::object batch_json(const batch_entry& b) {
  json::object o{{"id", b.id},
                 {"object", "batch"},
                 {"endpoint", b.endpoint},
                 {"errors", nullptr},
                 {"input_file_id", b.input_file_id},
                 {"completion_window", "24h"},
                 {"status", b.status},
                 {"output_file_id", b.output_file_id.empty() ? json::value(nullptr) : json::value(b.output_file_id)},
                 {"error_file_id", b.error_file_id.empty() ? json::value(nullptr) : json::value(b.error_file_id)},
                 {"created_at", b.created_at},
                 {"expires_at", b.created_at + 86400},
                 {"request_counts", json::object{{"total", b.total}, {"completed", b.completed}, {"failed", b.failed}}},
                 {"metadata", b.metadata}};
  for (auto k : {"in_progress_at", "finalizing_at", "completed_at", "failed_at", "expired_at", "cancelling_at", "cancelled_at"}) {
    auto it = b.times.find(k);
    o[k] = it == b.times.end() ? json::value(nullptr) : json::value(it->second);
  }
  if (!b.error.empty())
    o["errors"] = json::object{{"object", "list"}, {"data", json::array{json::object{{"code", "invalid_request"}, {"message", b.error}, {"line", nullptr}}}}};
  return o;
}

std::string new_file(state& st, std::string filename, std::string purpose, std::string content) {
  file_entry f{st.make_id("file-"), std::move(filename), std::move(purpose), std::move(content), 1765000000 + st.now_ms() / 1000};
  auto id = f.id;
  st.files.emplace(id, std::move(f));
  return id;
}

// The batch's input lines, checked as the API checks them; "" when valid.
std::string check_input(const std::string& content, const std::string& endpoint, std::vector<json::object>& lines) {
  std::set<std::string> ids;
  std::string model;
  std::size_t pos = 0, n = 0;
  while (pos < content.size()) {
    auto nl = content.find('\n', pos);
    auto line = content.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? content.size() : nl + 1;
    if (line.empty()) continue;
    ++n;
    boost::system::error_code ec;
    auto v = json::parse(line, ec);
    if (ec || !v.is_object()) return "line " + std::to_string(n) + " is not a JSON object";
    auto& o = v.as_object();
    auto id = str(o, "custom_id");
    if (id.empty() || !ids.insert(id).second) return "line " + std::to_string(n) + ": custom_id missing or repeated";
    if (str(o, "method") != "POST" || str(o, "url") != endpoint) return "line " + std::to_string(n) + ": method or url does not match the batch";
    auto* body = o.if_contains("body");
    if (!body || !body->is_object()) return "line " + std::to_string(n) + ": no body";
    auto m = str(body->as_object(), "model");
    if (model.empty()) model = m;
    if (m != model) return "every line of a file must use the same model";
    lines.push_back(std::move(o));
  }
  if (n == 0) return "the file has no requests";
  if (n > 50000) return "a batch holds at most 50,000 requests";
  if (content.size() > 200ull << 20) return "a batch file is at most 200 MB";
  return {};
}

json::object result_line(state& st, const json::object& line, const std::string& endpoint) {
  const auto& body = line.at("body").as_object();
  const auto text = input_text(body);
  json::object out{{"id", st.make_id("batch_req_")}, {"custom_id", line.at("custom_id")}, {"error", nullptr}};
  if (text.find(st.s.fail_marker) != std::string::npos) {
    out["response"] = json::object{{"status_code", 400}, {"request_id", "req_fake"},
                                   {"body", json::object{{"error", json::object{{"message", "the fake provider refuses this request (fail marker)"}, {"type", "invalid_request_error"}}}}}};
    return out;
  }
  json::object answer = endpoint == "/v1/embeddings" ? embedding_answer(body) : chat_answer(body, false);
  out["response"] = json::object{{"status_code", 200}, {"request_id", "req_fake"}, {"body", std::move(answer)}};
  return out;
}

void finish_batch(state& st, batch_entry& b) {
  auto& input = st.files.at(b.input_file_id);
  std::vector<json::object> lines;
  check_input(input.content, b.endpoint, lines);
  const auto now = 1765000000 + st.now_ms() / 1000;
  if (b.outcome == "failed") {
    b.status = "failed";
    b.times["failed_at"] = now;
    b.error = "the fake provider failed this batch";
    return;
  }
  std::string output, errors;
  const std::size_t answered =
      b.outcome == "completed" ? lines.size() : static_cast<std::size_t>(static_cast<double>(lines.size()) * b.answered_fraction);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    json::object out;
    if (i < answered) {
      out = result_line(st, lines[i], b.endpoint);
    } else {
      const bool expired = b.outcome == "expired";
      out = json::object{{"id", st.make_id("batch_req_")}, {"custom_id", lines[i].at("custom_id")}, {"response", nullptr},
                         {"error", json::object{{"code", expired ? "batch_expired" : "batch_cancelled"},
                                                {"message", expired ? "This request could not be executed before the completion window expired."
                                                                    : "This request was not executed because the batch was cancelled."}}}};
    }
    const bool ok = out["response"].is_object() && out["response"].as_object().at("status_code").as_int64() == 200;
    (ok ? output : errors) += json::serialize(out) + "\n";
    (ok ? b.completed : b.failed) += 1;
  }
  if (!output.empty()) b.output_file_id = new_file(st, b.id + "_output.jsonl", "batch_output", std::move(output));
  if (!errors.empty()) b.error_file_id = new_file(st, b.id + "_error.jsonl", "batch_output", std::move(errors));
  b.status = b.outcome == "completed" ? "completed" : b.outcome;
  b.times["finalizing_at"] = now;
  b.times[b.status + "_at"] = now;
}

void install(httplib::Server& svr, state& st) {
  svr.set_pre_routing_handler([&st](const httplib::Request& req, httplib::Response& res) {
    std::unique_lock lock(st.mu);
    const auto auth = req.get_header_value("Authorization");
    if (std::find(st.authorizations.begin(), st.authorizations.end(), auth) == st.authorizations.end()) st.authorizations.push_back(auth);
    ++st.calls_by_path[req.method + " " + req.path];
    if (req.path.rfind("/_", 0) != 0 && !st.s.require_key.empty() && auth != "Bearer " + st.s.require_key) {
      lock.unlock();
      send_error(res, 401, "Incorrect API key provided.", "invalid_request_error");
      return httplib::Server::HandlerResponse::Handled;
    }
    lock.unlock();
    maybe_hold(st, req, false);
    return httplib::Server::HandlerResponse::Unhandled;
  });

  auto model_call = [&st](const httplib::Request& req, httplib::Response& res, bool chat) {
    auto body = body_object(req);
    int delay = 0;
    bool invalid = false, storm = false, refuse = false;
    {
      std::lock_guard lock(st.mu);
      const auto now = st.now_ms();
      st.model_call_times_ms.push_back(now);
      if (now < st.s.storm_until_ms) {
        storm = true;
        st.rate_limited_times_ms.push_back(now);
      } else {
        delay = st.s.delay_ms;
        if (chat && st.s.invalid_answers > 0) {
          --st.s.invalid_answers;
          invalid = true;
        }
        if (body && input_text(*body).find(st.s.fail_marker) != std::string::npos) refuse = true;
        st.max_in_flight = std::max(st.max_in_flight, ++st.in_flight);
      }
    }
    if (storm) {
      res.set_header("Retry-After", std::to_string(st.s.storm_retry_after_s));
      return send_error(res, 429, "Rate limit reached for requests (fake storm).", "requests");
    }
    if (delay > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    {
      std::lock_guard lock(st.mu);
      --st.in_flight;
    }
    if (!body) return send_error(res, 400, "We could not parse the JSON body of your request.");
    if (refuse) return send_error(res, 400, "the fake provider refuses this request (fail marker)");
    if (str(*body, "model").empty()) return send_error(res, 400, "you must provide a model parameter");
    send_json(res, 200, chat ? chat_answer(*body, invalid) : embedding_answer(*body));
  };
  svr.Post("/v1/chat/completions", [model_call](const httplib::Request& req, httplib::Response& res) { model_call(req, res, true); });
  svr.Post("/v1/embeddings", [model_call](const httplib::Request& req, httplib::Response& res) { model_call(req, res, false); });

  svr.Post("/v1/files", [&st](const httplib::Request& req, httplib::Response& res) {
    if (!req.has_file("file") || !req.has_file("purpose")) return send_error(res, 400, "multipart fields 'file' and 'purpose' are required");
    const auto file = req.get_file_value("file");
    const auto purpose = req.get_file_value("purpose").content;
    if (purpose != "batch" && purpose != "fine-tune" && purpose != "assistants") return send_error(res, 400, "invalid purpose");
    json::object out;
    {
      std::lock_guard lock(st.mu);
      auto id = new_file(st, file.filename.empty() ? "upload.jsonl" : file.filename, purpose, file.content);
      out = file_json(st.files.at(id));
    }
    maybe_hold(st, req, true);
    send_json(res, 200, out);
  });
  svr.Get("/v1/files", [&st](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(st.mu);
    json::array data;
    const auto purpose = req.get_param_value("purpose");
    for (auto it = st.files.rbegin(); it != st.files.rend(); ++it)
      if (purpose.empty() || it->second.purpose == purpose) data.push_back(file_json(it->second));
    send_json(res, 200, json::object{{"object", "list"}, {"data", std::move(data)}, {"has_more", false}});
  });
  svr.Get(R"(/v1/files/([^/]+))", [&st](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(st.mu);
    auto it = st.files.find(req.matches[1]);
    if (it == st.files.end()) return send_error(res, 404, "No such File object: " + std::string(req.matches[1]));
    send_json(res, 200, file_json(it->second));
  });
  svr.Get(R"(/v1/files/([^/]+)/content)", [&st](const httplib::Request& req, httplib::Response& res) {
    std::string content;
    {
      std::lock_guard lock(st.mu);
      auto it = st.files.find(req.matches[1]);
      if (it == st.files.end()) return send_error(res, 404, "No such File object: " + std::string(req.matches[1]));
      content = it->second.content;
    }
    maybe_hold(st, req, true);
    res.set_content(content, "application/octet-stream");
  });
  svr.Delete(R"(/v1/files/([^/]+))", [&st](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(st.mu);
    if (!st.files.erase(req.matches[1])) return send_error(res, 404, "No such File object");
    send_json(res, 200, json::object{{"id", std::string(req.matches[1])}, {"object", "file"}, {"deleted", true}});
  });

  svr.Post("/v1/batches", [&st](const httplib::Request& req, httplib::Response& res) {
    auto body = body_object(req);
    if (!body) return send_error(res, 400, "We could not parse the JSON body of your request.");
    const auto endpoint = str(*body, "endpoint");
    if (endpoint != "/v1/chat/completions" && endpoint != "/v1/embeddings" && endpoint != "/v1/completions" && endpoint != "/v1/responses")
      return send_error(res, 400, "invalid endpoint");
    if (str(*body, "completion_window") != "24h") return send_error(res, 400, "completion_window must be 24h");
    json::object out;
    {
      std::lock_guard lock(st.mu);
      auto f = st.files.find(str(*body, "input_file_id"));
      if (f == st.files.end()) return send_error(res, 400, "No such File object: " + str(*body, "input_file_id"));
      batch_entry b;
      b.id = st.make_id("batch_");
      b.input_file_id = f->first;
      b.endpoint = endpoint;
      b.outcome = st.s.batch_outcome;
      b.answered_fraction = st.s.answered_fraction;
      b.created_at = 1765000000 + st.now_ms() / 1000;
      if (auto* m = body->if_contains("metadata"); m && m->is_object()) b.metadata = m->as_object();
      std::vector<json::object> lines;
      if (auto problem = check_input(f->second.content, endpoint, lines); !problem.empty()) {
        b.status = "failed";
        b.error = problem;
        b.times["failed_at"] = b.created_at;
      }
      b.total = static_cast<std::int64_t>(lines.size());
      for (const auto& l : lines) ++st.custom_id_batches[str(l, "custom_id")];
      out = batch_json(b);
      st.batches.emplace(b.id, std::move(b));
    }
    maybe_hold(st, req, true);
    send_json(res, 200, out);
  });
  svr.Get("/v1/batches", [&st](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(st.mu);
    std::size_t limit = 20;
    if (auto l = req.get_param_value("limit"); !l.empty()) limit = std::clamp<std::size_t>(std::stoul(l), 1, 100);
    const auto after = req.get_param_value("after");
    json::array data;
    bool more = false;
    for (auto it = st.batches.rbegin(); it != st.batches.rend(); ++it) {
      if (!after.empty() && it->first >= after) continue;
      if (data.size() == limit) {
        more = true;
        break;
      }
      data.push_back(batch_json(it->second));
    }
    json::object out{{"object", "list"}, {"has_more", more}};
    out["first_id"] = data.empty() ? json::value(nullptr) : data.front().as_object().at("id");
    out["last_id"] = data.empty() ? json::value(nullptr) : data.back().as_object().at("id");
    out["data"] = std::move(data);
    send_json(res, 200, out);
  });
  svr.Get(R"(/v1/batches/([^/]+))", [&st](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(st.mu);
    auto it = st.batches.find(req.matches[1]);
    if (it == st.batches.end()) return send_error(res, 404, "No such Batch object: " + std::string(req.matches[1]));
    auto& b = it->second;
    const auto now = 1765000000 + st.now_ms() / 1000;
    if (b.status == "validating" || b.status == "in_progress" || b.status == "cancelling") {
      ++b.polls;
      if (b.status == "validating") {
        b.status = "in_progress";
        b.times["in_progress_at"] = now;
      }
      if (b.polls >= st.s.polls_to_finish) finish_batch(st, b);
    }
    send_json(res, 200, batch_json(b));
  });
  svr.Post(R"(/v1/batches/([^/]+)/cancel)", [&st](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(st.mu);
    auto it = st.batches.find(req.matches[1]);
    if (it == st.batches.end()) return send_error(res, 404, "No such Batch object");
    auto& b = it->second;
    if (b.status == "validating" || b.status == "in_progress") {
      b.status = "cancelling";
      b.outcome = "cancelled";
      b.times["cancelling_at"] = 1765000000 + st.now_ms() / 1000;
    }
    send_json(res, 200, batch_json(b));
  });

  svr.Post("/_control", [&st](const httplib::Request& req, httplib::Response& res) {
    auto body = body_object(req);
    if (!body) return send_error(res, 400, "control body must be a JSON object");
    std::lock_guard lock(st.mu);
    auto& s = st.s;
    for (auto& [k, v] : *body) {
      if (k == "delay_ms") s.delay_ms = static_cast<int>(v.to_number<double>());
      else if (k == "invalid_answers") s.invalid_answers = static_cast<int>(v.to_number<double>());
      else if (k == "fail_marker") s.fail_marker = std::string(v.as_string());
      else if (k == "storm_ms") s.storm_until_ms = st.now_ms() + static_cast<std::int64_t>(v.to_number<double>());
      else if (k == "storm_retry_after_s") s.storm_retry_after_s = static_cast<int>(v.to_number<double>());
      else if (k == "batch_outcome") s.batch_outcome = std::string(v.as_string());
      else if (k == "answered_fraction") s.answered_fraction = v.to_number<double>();
      else if (k == "polls_to_finish") s.polls_to_finish = static_cast<int>(v.to_number<double>());
      else if (k == "require_key") s.require_key = std::string(v.as_string());
      else if (k == "hold") {
        const auto& h = v.as_object();
        s.holds.push_back(hold_rule{str(h, "method"), str(h, "path"), str(h, "when") == "after",
                                    h.if_contains("count") ? static_cast<int>(h.at("count").to_number<double>()) : 1});
      } else if (k == "clear_holds") {
        s.holds.clear();
      } else {
        return send_error(res, 400, "unknown control key " + std::string(k));
      }
    }
    send_json(res, 200, json::object{{"ok", true}});
  });
  svr.Post("/_release", [&st](const httplib::Request&, httplib::Response& res) {
    {
      std::lock_guard lock(st.mu);
      ++st.release_generation;
      st.s.holds.clear();
    }
    st.released.notify_all();
    send_json(res, 200, json::object{{"ok", true}});
  });
  svr.Get("/_stats", [&st](const httplib::Request&, httplib::Response& res) {
    std::lock_guard lock(st.mu);
    json::object calls;
    for (auto& [k, v] : st.calls_by_path) calls[k] = v;
    json::array times(st.model_call_times_ms.begin(), st.model_call_times_ms.end());
    json::array limited(st.rate_limited_times_ms.begin(), st.rate_limited_times_ms.end());
    json::array batches;
    for (auto& [id, b] : st.batches) {
      std::string model;
      std::vector<json::object> lines;
      check_input(st.files.count(b.input_file_id) ? st.files.at(b.input_file_id).content : std::string(), b.endpoint, lines);
      if (!lines.empty()) model = str(lines.front().at("body").as_object(), "model");
      batches.push_back(json::object{{"id", id}, {"status", b.status}, {"model", model}, {"lines", b.total},
                                     {"endpoint", b.endpoint}, {"metadata", b.metadata}});
    }
    std::int64_t repeated = 0;
    for (auto& [id, n] : st.custom_id_batches) repeated += n > 1 ? 1 : 0;
    json::array auths;
    for (auto& a : st.authorizations) auths.push_back(json::value(a));
    send_json(res, 200,
              json::object{{"calls", std::move(calls)},
                           {"model_calls", static_cast<std::int64_t>(st.model_call_times_ms.size())},
                           {"model_call_times_ms", std::move(times)},
                           {"rate_limited_times_ms", std::move(limited)},
                           {"max_in_flight", st.max_in_flight},
                           {"held", st.held},
                           {"files", static_cast<std::int64_t>(st.files.size())},
                           {"batches", std::move(batches)},
                           {"custom_ids", static_cast<std::int64_t>(st.custom_id_batches.size())},
                           {"custom_ids_in_several_batches", repeated},
                           {"authorizations", std::move(auths)}});
  });
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = "/tmp";
  int max_seconds = 1800;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--dir") dir = argv[i + 1];
    else if (k == "--max-seconds") max_seconds = std::atoi(argv[i + 1]);
  }
  std::signal(SIGPIPE, SIG_IGN);
  tls_files tls;
  try {
    tls = make_tls_files(dir);
  } catch (const std::exception& e) {
    std::cerr << "fake_openai: " << e.what() << "\n";
    return 2;
  }
  state st;
  httplib::Server plain;
  httplib::SSLServer secure(tls.cert_pem.c_str(), tls.key_pem.c_str());
  for (httplib::Server* svr : {&plain, static_cast<httplib::Server*>(&secure)}) {
    svr->new_task_queue = [] { return new httplib::ThreadPool(64); };
    svr->set_payload_max_length(256ull << 20);
    install(*svr, st);
  }
  const int http_port = plain.bind_to_any_port("127.0.0.1");
  const int https_port = secure.bind_to_any_port("127.0.0.1");
  if (http_port <= 0 || https_port <= 0 || !secure.is_valid()) {
    std::cerr << "fake_openai: cannot listen\n";
    return 2;
  }
  std::thread t1([&] { plain.listen_after_bind(); });
  std::thread t2([&] { secure.listen_after_bind(); });
  std::printf("fake_openai listening http=%d https=%d ca=%s\n", http_port, https_port, tls.ca_pem.c_str());
  std::fflush(stdout);
  // Stops when the parent goes away (stdin closes), or after max_seconds.
  std::thread([max_seconds] {
    std::this_thread::sleep_for(std::chrono::seconds(max_seconds));
    std::_Exit(3);
  }).detach();
  char buf[256];
  while (read(0, buf, sizeof buf) > 0) {
  }
  {
    std::lock_guard lock(st.mu);
    ++st.release_generation;
  }
  st.released.notify_all();
  plain.stop();
  secure.stop();
  t1.join();
  t2.join();
  return 0;
}
