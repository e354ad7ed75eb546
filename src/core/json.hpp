// JSON text for values built with Boost.JSON. Boost.JSON 1.81 prints 0.5 as
// "5E-1"; this writer prints numbers the way JavaScript does ("0.5", "1"),
// keeps UTF-8 as is and escapes what JSON requires.
#pragma once

#include <string>
#include <string_view>

#include <boost/json/value.hpp>

namespace pw::core {

void append_json_string(std::string& out, std::string_view s);
void append_json_number(std::string& out, double d);
void append_json(std::string& out, const boost::json::value& v);
std::string to_json(const boost::json::value& v);

}  // namespace pw::core
