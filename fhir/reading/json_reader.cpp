#include "reading/json_reader.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <utility>
#include <vector>

namespace alliance::fhir {

using nlohmann::json;

namespace {

// "line 3, column 14" for a byte offset: what someone editing a file needs.
std::string place_of(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  std::size_t line = 1;
  std::size_t line_start = 0;
  for (std::size_t index = 0; index < offset; ++index) {
    if (text[index] == '\n') {
      ++line;
      line_start = index + 1;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(offset - line_start + 1);
}

// A key is named in an error only when it cannot be anything but a field name: keys of
// the documents read here are names from a schema, but a hostile page could put a
// client's name in one, and errors reach logs.
std::string named_key(const std::string& key) {
  const bool plain = !key.empty() && key.size() <= 64 && std::all_of(key.begin(), key.end(), [](char character) {
    return (character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z') ||
           (character >= '0' && character <= '9') || character == '_' || character == '-' || character == '.';
  });
  return plain ? "the key \"" + key + "\"" : std::string("a key");
}

// Builds the tree as nlohmann's own DOM parser would, with the checks it lacks. The
// parser itself is iterative; refusing in start_object/start_array stops it at once.
class StrictBuilder {
 public:
  StrictBuilder(json& root, int maximum_depth) : root_(root), maximum_depth_(maximum_depth) {}

  const std::string& refusal() const { return refusal_; }
  std::size_t error_offset() const { return error_offset_; }
  bool parser_failed() const { return parser_failed_; }
  const std::string& parser_reason() const { return parser_reason_; }

  bool null() { return add(json(nullptr)); }
  bool boolean(bool value) { return add(json(value)); }
  bool number_integer(json::number_integer_t value) { return add(json(value)); }
  bool number_unsigned(json::number_unsigned_t value) { return add(json(value)); }
  bool number_float(json::number_float_t value, const json::string_t& /*spelling*/) {
    if (!std::isfinite(value)) return refuse("a number is too large");
    return add(json(value));
  }
  bool string(json::string_t& value) {
    if (value.find('\0') != std::string::npos) return refuse("a text contains \\u0000");
    return add(json(std::move(value)));
  }
  bool binary(json::binary_t& /*value*/) { return refuse("binary values are not JSON"); }

  bool start_object(std::size_t /*elements*/) { return open(json::value_t::object); }
  bool start_array(std::size_t /*elements*/) { return open(json::value_t::array); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(json::string_t& name) {
    if (name.find('\0') != std::string::npos) return refuse("a key contains \\u0000");
    json& object = *open_.back();
    if (object.contains(name)) return refuse(named_key(name) + " appears twice in one object");
    pending_key_ = std::move(name);
    return true;
  }

  bool parse_error(std::size_t position, const std::string& /*last_token*/, const nlohmann::detail::exception& error) {
    // nlohmann's message quotes the text it read: only its kind is kept.
    parser_failed_ = true;
    error_offset_ = position == 0 ? 0 : position - 1;
    const std::string_view what = error.what();
    if (what.find("unexpected end of input") != std::string_view::npos ||
        what.find("empty input") != std::string_view::npos) {
      parser_reason_ = "the text ends before the JSON value does";
    } else if (what.find("expected end of input") != std::string_view::npos) {
      parser_reason_ = "there is more after the JSON value";
    } else if (what.find("overflow") != std::string_view::npos) {
      parser_reason_ = "a number is too large";
    } else if (what.find("control character") != std::string_view::npos) {
      parser_reason_ = "a text contains a control character that is not escaped";
    } else if (what.find("UTF-8") != std::string_view::npos || what.find("surrogate") != std::string_view::npos ||
               what.find("escape") != std::string_view::npos) {
      parser_reason_ = "a text is not valid UTF-8 or has a broken escape";
    } else if (what.find("comment") != std::string_view::npos) {
      parser_reason_ = "a comment is not closed";
    } else {
      parser_reason_ = "an unexpected character";
    }
    return false;
  }

 private:
  bool refuse(std::string reason) {
    if (refusal_.empty()) refusal_ = std::move(reason);
    return false;
  }

  // Places a value where the parser is: the root, the next element of a list, or the
  // member named by the last key.
  json* place(json&& value) {
    if (open_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    json& container = *open_.back();
    if (container.is_array()) {
      container.push_back(std::move(value));
      return &container.back();
    }
    json& member = container[pending_key_];
    member = std::move(value);
    return &member;
  }

  bool add(json&& value) {
    place(std::move(value));
    return true;
  }

  bool open(json::value_t type) {
    if (static_cast<int>(open_.size()) >= maximum_depth_) {
      return refuse("the JSON is nested deeper than " + std::to_string(maximum_depth_) + " levels");
    }
    open_.push_back(place(json(type)));
    return true;
  }

  bool close() {
    open_.pop_back();
    return true;
  }

  json& root_;
  const int maximum_depth_;
  std::vector<json*> open_;  // the containers being filled, outermost first
  std::string pending_key_;
  std::string refusal_;
  std::size_t error_offset_ = 0;
  bool parser_failed_ = false;
  std::string parser_reason_;
};

}  // namespace

JsonReading read_json(std::string_view text, const JsonLimits& limits) {
  JsonReading reading;
  if (text.size() > limits.maximum_bytes) {
    reading.error = "larger than " + std::to_string(limits.maximum_bytes) + " bytes (" + std::to_string(text.size()) +
                    " bytes)";
    return reading;
  }
  if (const std::size_t nul = text.find('\0'); nul != std::string_view::npos) {
    reading.error = "contains a NUL byte at " + place_of(text, nul);
    return reading;
  }
  json root;
  StrictBuilder builder(root, limits.maximum_depth);
  try {
    const bool read = json::sax_parse(text.begin(), text.end(), &builder, json::input_format_t::json,
                                      /*strict=*/true, limits.allow_comments);
    if (read) {
      reading.value = std::move(root);
      return reading;
    }
  } catch (const std::bad_alloc&) {
    reading.error = "too large to read (out of memory)";
    return reading;
  } catch (const std::exception&) {
    reading.error = "not valid JSON";
    return reading;
  }
  if (!builder.refusal().empty()) {
    reading.error = builder.refusal();
  } else if (builder.parser_failed()) {
    reading.error = "not valid JSON: " + builder.parser_reason() + " (at " + place_of(text, builder.error_offset()) + ")";
  } else {
    reading.error = "not valid JSON";
  }
  return reading;
}

}  // namespace alliance::fhir
