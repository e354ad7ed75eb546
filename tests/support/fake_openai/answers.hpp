// The fake provider's "model": deterministic answers to chat completions
// with a JSON schema (by the schema's name) and to embeddings, derived from
// the text, so tests can predict them. Usage is counted as the real API
// does (prompt_tokens from the input's length).
#pragma once

#include <string>

#include <boost/json.hpp>

namespace fake_openai {

// The answer body to a /v1/chat/completions request; `invalid` makes the
// content break the schema (a model that misbehaves).
boost::json::object chat_answer(const boost::json::object& request, bool invalid);
// The answer body to a /v1/embeddings request.
boost::json::object embedding_answer(const boost::json::object& request);
// The user's text in a chat request, or an embeddings request's input.
std::string input_text(const boost::json::object& request);

}  // namespace fake_openai
