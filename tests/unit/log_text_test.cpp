#include <doctest/doctest.h>

#include <string>

#include "runtime/log_text.hpp"

using alliance::log_value;

TEST_SUITE("log text") {
  TEST_CASE("plain text is quoted as it is") {
    CHECK(log_value("connection refused") == "\"connection refused\"");
    CHECK(log_value("") == "\"\"");
  }

  TEST_CASE("quotes and line breaks cannot end the value or start a false line") {
    CHECK(log_value("invalid_client: \"kid\" unknown") == "\"invalid_client: 'kid' unknown\"");
    CHECK(log_value("first\nevent=forged level=error\r\tx") == "\"first event=forged level=error  x\"");
    CHECK(log_value(std::string("nul\0byte", 8)) == "\"nul byte\"");
    CHECK(log_value("bell\x07 del\x7F") == "\"bell  del \"");
  }

  TEST_CASE("long text is cut, and never in the middle of a UTF-8 character") {
    const std::string value = log_value(std::string(1000, 'a'));
    CHECK(value.size() == alliance::kLogTextLimit + 5);  // two quotes and "..."
    CHECK(value.substr(value.size() - 4) == "...\"");
    // 299 ASCII bytes then "é" (2 bytes) straddles the limit: the whole character goes.
    const std::string straddling = log_value(std::string(299, 'a') + "\xC3\xA9" + "tail");
    CHECK(straddling == "\"" + std::string(299, 'a') + "...\"");
    // Text of exactly the limit is kept whole.
    CHECK(log_value(std::string(alliance::kLogTextLimit, 'b')) == "\"" + std::string(alliance::kLogTextLimit, 'b') + "\"");
  }
}
