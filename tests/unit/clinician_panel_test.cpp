// The therapist's panel (plugin/panels/clinician.html) as rendered by the plugin:
// small, self-contained, script and style only under the render's nonce, message
// data never parsed as markup, and the hooks the browser tests rely on present.
#include <doctest/doctest.h>

#include <regex>
#include <string>

#include "panels/panels.hpp"

using namespace alliance;

namespace {

size_t count_of(const std::string& text, const std::string& needle) {
  size_t found = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++found;
  return found;
}

std::string nonce_of(const std::string& page) {
  std::smatch match;
  const std::regex policy(R"(script-src 'nonce-([A-Za-z0-9+/=]+)'; style-src 'nonce-([A-Za-z0-9+/=]+)')");
  if (!std::regex_search(page, match, policy) || match[1].str() != match[2].str()) return {};
  return match[1].str();
}

}  // namespace

TEST_SUITE("panels") {
  TEST_CASE("the clinician panel is under 50 KB and loads nothing from anywhere") {
    const std::string page = render_clinician_panel("Alliance: session results");
    CHECK(page.size() < 50 * 1024);
    CHECK(page.find("default-src 'none'") != std::string::npos);
    CHECK_FALSE(std::regex_search(page, std::regex(R"((src|href)\s*=\s*["']?(https?:)?//)")));
    CHECK_FALSE(std::regex_search(page, std::regex(R"(@import|url\s*\()")));
    CHECK(page.find("fetch(") == std::string::npos);
    CHECK(page.find("XMLHttpRequest") == std::string::npos);
    for (const char* placeholder : {"@NONCE@", "@TITLE@", "@LANGUAGE@", "@PANEL_DATA@"}) {
      CHECK_MESSAGE(page.find(placeholder) == std::string::npos, placeholder);
    }
  }

  TEST_CASE("every script and style of the clinician panel carries the render's nonce") {
    const std::string page = render_clinician_panel("Session results");
    const std::string nonce = nonce_of(page);
    REQUIRE(nonce.size() == 24);
    CHECK(count_of(page, "<script") >= 1);
    CHECK(count_of(page, "<script") == count_of(page, "<script nonce=\"" + nonce + "\">"));
    CHECK(count_of(page, "<style") == 1);
    CHECK(count_of(page, "<style nonce=\"" + nonce + "\">") == 1);
    CHECK_FALSE(std::regex_search(page, std::regex(R"(\son[a-z]+\s*=)")));
    CHECK(page.find("style=\"") == std::string::npos);
    CHECK(page.find("javascript:") == std::string::npos);
    CHECK(nonce != nonce_of(render_clinician_panel("Session results")));
  }

  TEST_CASE("the clinician panel never turns message text into markup or code") {
    const std::string page = render_clinician_panel("Session results");
    for (const char* sink : {"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                             "new Function", "createContextualFragment", "DOMParser"}) {
      CHECK_MESSAGE(page.find(sink) == std::string::npos, sink);
    }
    CHECK(page.find("textContent") != std::string::npos);
    CHECK(page.find("createElementNS") != std::string::npos);
  }

  TEST_CASE("the clinician panel keeps the hooks the browser tests use") {
    const std::string page = render_clinician_panel("Session results");
    for (const char* hook : {"\"section\", \"client\"", "\"data-participant-id\"", "\"total \" + familyClass",
                             "\"ors-total\"", "\"srs-total\"", "\"flag\" +", "\"data-code\"", "\"class\", \"trend\"",
                             "\"cutoff-line\"", "\"change-band\"", "\"trend-table\"", "\"elsewhere\"",
                             "aria-live=\"polite\"", "\"role\", \"img\"", "\"aria-label\""}) {
      CHECK_MESSAGE(page.find(hook) != std::string::npos, hook);
    }
  }

  TEST_CASE("the clinician panel escapes its title and language") {
    const std::string page = render_clinician_panel("<b>Results</b>");
    CHECK(page.find("<b>Results</b>") == std::string::npos);
    CHECK(count_of(page, "&lt;b&gt;Results&lt;/b&gt;") == 2);
    CHECK(page.find("<html lang=\"en\">") != std::string::npos);
  }

  // Issue 12, defect 1: a client without a chart reference is "Session 1" every time;
  // the therapist must read why, not take it for a first session.
  TEST_CASE("the clinician panel says in words when a client's scores are not linked across sessions") {
    const std::string page = render_clinician_panel("Session results");
    CHECK(page.find("own(m, \"history\") === \"not_linked\"") != std::string::npos);
    CHECK(page.find("this client is not linked to a chart record") != std::string::npos);
    CHECK(page.find("each session counts as the first") != std::string::npos);
  }
}
