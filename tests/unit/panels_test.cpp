#include <doctest/doctest.h>

#include <regex>

#include "panels.hpp"
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
