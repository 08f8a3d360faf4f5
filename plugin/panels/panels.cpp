#include "panels/panels.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <utility>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "panels/panel_templates.hpp"

namespace alliance {

using nlohmann::json;

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char character : text) {
    switch (character) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += character;
    }
  }
  return out;
}

std::string json_for_script_element(const std::string& json_text) {
  std::string out;
  out.reserve(json_text.size());
  for (char character : json_text) {
    switch (character) {
      case '<': out += "\\u003c"; break;
      case '>': out += "\\u003e"; break;
      case '&': out += "\\u0026"; break;
      default: out += character;
    }
  }
  return out;
}

std::string new_nonce() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("no random bytes for a panel nonce");
  }
  std::array<unsigned char, 32> encoded{};
  const int length = EVP_EncodeBlock(encoded.data(), bytes.data(), static_cast<int>(bytes.size()));
  return std::string(reinterpret_cast<const char*>(encoded.data()), static_cast<size_t>(length));
}

namespace {

// Substitutes @NAME@ placeholders in one pass, so that substituted text is never
// scanned again (a title that spells "@PANEL_DATA@" stays a title).
std::string fill(const char* page_template, std::string_view title, const std::string& panel_data,
                 const std::string& language = "en") {
  const std::string nonce = new_nonce();
  const std::string escaped_title = escape_html(title);
  const std::string escaped_language = escape_html(language);
  const std::string script_data = json_for_script_element(panel_data);
  const std::pair<std::string_view, std::string_view> values[] = {
      {"@NONCE@", nonce}, {"@TITLE@", escaped_title}, {"@LANGUAGE@", escaped_language}, {"@PANEL_DATA@", script_data}};
  const std::string_view page(page_template);
  std::string out;
  out.reserve(page.size() + panel_data.size() + 256);
  size_t at = 0;
  while (at < page.size()) {
    const size_t next = page.find('@', at);
    if (next == std::string_view::npos) break;
    out.append(page, at, next - at);
    bool replaced = false;
    for (const auto& [placeholder, value] : values) {
      if (page.substr(next, placeholder.size()) == placeholder) {
        out.append(value);
        at = next + placeholder.size();
        replaced = true;
        break;
      }
    }
    if (!replaced) {
      out.push_back('@');
      at = next + 1;
    }
  }
  out.append(page.substr(std::min(at, page.size())));
  return out;
}

}  // namespace

bool is_child_measure(std::string_view code) {
  return code == "CORS" || code == "CSRS" || code == "YCORS" || code == "CGSRS";
}

std::string render_measure_panel(const MeasureDefinition& measure) {
  json items = json::array();
  for (const MeasureItem& item : measure.items) items.push_back({{"linkId", item.link_id}, {"text", item.text}});
  // "language" picks the panel's own words (buttons, messages); "child" asks for faces
  // at the lines' ends and simpler words. The measure's text arrives translated.
  const json data = {{"measure", measure.code},
                     {"language", measure.language},
                     {"child", is_child_measure(measure.code)},
                     {"title", measure.title},
                     {"instructions", measure.instructions},
                     {"items", items}};
  return fill(kPanelTemplate_measure, measure.title, data.dump(), measure.language);
}

std::string render_verbal_panel(const MeasureDefinition& measure, std::string_view title, std::string_view client_name) {
  json items = json::array();
  for (const MeasureItem& item : measure.items) {
    items.push_back({{"linkId", item.link_id},
                     {"name", item.short_name},
                     {"text", item.text},
                     {"script", item.verbal_script.empty() ? item.text : item.verbal_script}});
  }
  const json data = {{"measure", measure.code},
                     {"language", measure.language},
                     {"title", std::string(title)},
                     {"client", std::string(client_name)},
                     {"introduction", measure.verbal_introduction.empty() ? measure.instructions
                                                                          : measure.verbal_introduction},
                     {"items", items}};
  // The page's own words are the therapist's (English); the scripts are in the client's language.
  return fill(kPanelTemplate_verbal, title, data.dump(), "en");
}

std::string render_clinician_panel(std::string_view title) { return fill(kPanelTemplate_clinician, title, "{}"); }

std::string render_client_graph_panel(std::string_view title, const std::string& data, const std::string& language) {
  return fill(kPanelTemplate_client_graph, title, data, language);
}

}  // namespace alliance
