#include <doctest/doctest.h>

#include <algorithm>
#include <regex>
#include <string>

#include "panels/panels.hpp"
#include "test_support.hpp"

using namespace alliance;
using alliance::testing::shipped_measures;

TEST_SUITE("panels") {
  TEST_CASE("host and measure text is escaped for HTML") {
    CHECK(escape_html(R"(<script>alert("x")</script> & 'y')") ==
          "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;");
  }

  TEST_CASE("JSON data cannot close its script element") {
    const std::string data = json_for_script_element(R"({"text":"</script><script>alert(1)</script>&"})");
    CHECK(data.find('<') == std::string::npos);
    CHECK(data.find('>') == std::string::npos);
    CHECK(data.find('&') == std::string::npos);
    CHECK(data.find("\\u003c/script\\u003e") != std::string::npos);
  }

  TEST_CASE("a measure panel is self-contained and small and under a nonce CSP") {
    const std::string page = render_measure_panel(shipped_measures().outcome());
    CHECK(page.size() < 50 * 1024);
    CHECK(page.find("Content-Security-Policy") != std::string::npos);
    CHECK(page.find("default-src 'none'") != std::string::npos);
    // No external resources: nothing is loaded from anywhere.
    CHECK_FALSE(std::regex_search(page, std::regex(R"((src|href)\s*=\s*["']?(https?:)?//)")));
    CHECK(page.find("@NONCE@") == std::string::npos);
    CHECK(page.find("@PANEL_DATA@") == std::string::npos);
    // Every script and style carries the nonce; no inline event handlers.
    const std::regex nonce(R"(script-src 'nonce-([A-Za-z0-9+/=]+)')");
    std::smatch match;
    REQUIRE(std::regex_search(page, match, nonce));
    CHECK(page.find("<script nonce=\"" + match[1].str() + "\">") != std::string::npos);
    CHECK(page.find("<style nonce=\"" + match[1].str() + "\">") != std::string::npos);
    CHECK_FALSE(std::regex_search(page, std::regex(R"(\son[a-z]+\s*=)")));
    CHECK(page.find("Individually (personal well-being)") != std::string::npos);
  }

  TEST_CASE("every shipped measure in every language renders a small self-contained panel") {
    REQUIRE(shipped_measures().measures.size() >= 14);
    size_t largest = 0;
    for (const MeasureDefinition& measure : shipped_measures().measures) {
      CAPTURE(measure.code);
      CAPTURE(measure.language);
      const std::string page = render_measure_panel(measure);
      largest = std::max(largest, page.size());
      CHECK(page.size() < 50 * 1024);
      // Nothing is loaded from anywhere: no URL in src or href, no CSS import or url().
      CHECK_FALSE(std::regex_search(page, std::regex(R"((src|href)\s*=\s*["']?[a-z]*:?//)", std::regex::icase)));
      CHECK_FALSE(std::regex_search(page, std::regex(R"((src|href)\s*=\s*["']?https?:)", std::regex::icase)));
      CHECK(page.find("@import") == std::string::npos);
      CHECK(page.find("url(") == std::string::npos);
      // The CSP's nonce is the one on the only script and the only style; the data
      // block is not executable and needs none.
      std::smatch match;
      REQUIRE(std::regex_search(page, match, std::regex(R"(script-src 'nonce-([A-Za-z0-9+/=]+)'; style-src 'nonce-([A-Za-z0-9+/=]+)')")));
      CHECK(match[1].str() == match[2].str());
      const std::string nonce = match[1].str();
      CHECK(page.find("<script nonce=\"" + nonce + "\">") != std::string::npos);
      CHECK(page.find("<style nonce=\"" + nonce + "\">") != std::string::npos);
      const auto count = [&page](const std::string& text) {
        size_t found = 0;
        for (size_t at = page.find(text); at != std::string::npos; at = page.find(text, at + 1)) ++found;
        return found;
      };
      CHECK(count("<script") == 2);
      CHECK(count("<script type=\"application/json\" id=\"panel-data\">") == 1);
      CHECK(count("<style") == 1);
      // The strict CSP blocks inline handlers and style attributes; the page uses neither,
      // and builds everything from data with textContent, never innerHTML.
      CHECK_FALSE(std::regex_search(page, std::regex(R"(\son[a-z]+\s*=)")));
      CHECK_FALSE(std::regex_search(page, std::regex(R"(\sstyle\s*=)")));
      CHECK(page.find("innerHTML") == std::string::npos);
      CHECK(page.find("eval(") == std::string::npos);
      CHECK(page.find("<html lang=\"" + measure.language + "\">") != std::string::npos);
      CHECK(page.find("\"language\":\"" + measure.language + "\"") != std::string::npos);
      CHECK(page.find(is_child_measure(measure.code) ? "\"child\":true" : "\"child\":false") != std::string::npos);
      CHECK(page.find("\"measure\":\"" + measure.code + "\"") != std::string::npos);
      for (const MeasureItem& item : measure.items) CHECK(page.find("\"linkId\":\"" + item.link_id + "\"") != std::string::npos);
    }
    MESSAGE("largest rendered measure panel: " << largest << " bytes");
  }

  TEST_CASE("the child versions are the ones with faces") {
    for (const char* code : {"CORS", "CSRS", "YCORS", "CGSRS"}) CHECK(is_child_measure(code));
    for (const char* code : {"ORS", "SRS", "GSRS", "", "cors"}) CHECK_FALSE(is_child_measure(code));
  }

  TEST_CASE("a Spanish panel says it is Spanish") {
    const MeasureDefinition* spanish = shipped_measures().find("CORS", "es-MX");
    REQUIRE(spanish != nullptr);
    REQUIRE(spanish->language == "es");
    const std::string page = render_measure_panel(*spanish);
    CHECK(page.find("<html lang=\"es\">") != std::string::npos);
    CHECK(page.find("\"language\":\"es\"") != std::string::npos);
    CHECK(page.find("\"child\":true") != std::string::npos);
  }

  TEST_CASE("measure text that spells markup stays text in the title and the data block") {
    MeasureDefinition measure = shipped_measures().outcome();
    measure.title = "</title><script>alert(1)</script>";
    measure.instructions = "</script><script>alert(2)</script>";
    measure.items[0].text = "<img src=x onerror=alert(3)> & \"quotes\"";
    measure.language = "en\"><script>alert(4)</script>";
    const std::string page = render_measure_panel(measure);
    CHECK(page.find("<title>&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>") != std::string::npos);
    CHECK(page.find("<html lang=\"en&quot;&gt;&lt;script&gt;alert(4)&lt;/script&gt;\">") != std::string::npos);
    CHECK(page.find("alert(1)</script>") == std::string::npos);
    CHECK(page.find("<script>") == std::string::npos);
    CHECK(page.find("<img") == std::string::npos);
    // Inside the data block every '<', '>' and '&' is a JSON \u escape, so the text
    // cannot end the element, and JSON.parse gives the original text back.
    const size_t start = page.find("id=\"panel-data\">");
    REQUIRE(start != std::string::npos);
    const size_t end = page.find("</script>", start);
    REQUIRE(end != std::string::npos);
    const std::string block = page.substr(start, end - start);
    CHECK(block.find("\\u003c/title\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e") != std::string::npos);
    CHECK(block.find("\\u003c/script\\u003e\\u003cscript\\u003ealert(2)") != std::string::npos);
    CHECK(block.find("\\u003cimg src=x onerror=alert(3)\\u003e \\u0026 \\\"quotes\\\"") != std::string::npos);
  }

  TEST_CASE("the panel keeps the hooks that the browser tests use") {
    const std::string page = render_measure_panel(shipped_measures().session_rating());
    for (const char* id : {"form", "submit", "confirm", "change", "decline", "decline-confirm", "decline-reason",
                           "status", "review"}) {
      CAPTURE(id);
      CHECK(page.find("id=\"" + std::string(id) + "\"") != std::string::npos);
    }
    CHECK(page.find("<body data-state=\"answering\">") != std::string::npos);
    CHECK(page.find("role=\"status\" aria-live=\"polite\"") != std::string::npos);
    CHECK(page.find("maxlength=\"500\"") != std::string::npos);
    CHECK(page.find("\"slider\"") != std::string::npos);
    CHECK(page.find("\"data-link-id\"") != std::string::npos);
    CHECK(page.find("touch-action: none") != std::string::npos);
    CHECK(page.find("prefers-reduced-motion") != std::string::npos);
  }

  TEST_CASE("every render has a new nonce") {
    const std::string first = new_nonce();
    CHECK(first.size() == 24);
    CHECK(first != new_nonce());
  }

  TEST_CASE("a title that spells a placeholder is not substituted") {
    const std::string page = render_clinician_panel("Panel @PANEL_DATA@ & <b>");
    CHECK(page.find("Panel @PANEL_DATA@ &amp; &lt;b&gt;") != std::string::npos);
  }
}
