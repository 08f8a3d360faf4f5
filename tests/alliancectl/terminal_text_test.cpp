// terminal_text(): what a terminal would obey comes out visibly escaped.
#include <doctest/doctest.h>

#include <string>

#include "alliancectl/terminal_text.hpp"

using alliance::control::terminal_text;

TEST_SUITE("alliancectl") {
  TEST_CASE("terminal text keeps printable ASCII and well-formed UTF-8 as they are") {
    CHECK(terminal_text("HTTP 422: Patient/pat-1 not found") == "HTTP 422: Patient/pat-1 not found");
    CHECK(terminal_text("Sitzung für Zoë, 日本語, 🙂") == "Sitzung für Zoë, 日本語, 🙂");
    CHECK(terminal_text("") == "");
  }

  TEST_CASE("terminal text escapes C0 controls ESC DEL and line breaks") {
    CHECK(terminal_text("\x1b]0;title\x07\x1b[2J") == "\\x1b]0;title\\x07\\x1b[2J");
    CHECK(terminal_text("one\ntwo\r\tthree") == "one\\ntwo\\r\\tthree");
    CHECK(terminal_text(std::string("nul\0byte", 8)) == "nul\\x00byte");
    CHECK(terminal_text("del\x7f") == "del\\x7f");
  }

  TEST_CASE("terminal text escapes C1 controls and the bidirectional overrides") {
    CHECK(terminal_text("\xc2\x9b" "31m") == "\\u009b31m");         // CSI
    CHECK(terminal_text("\xc2\x85") == "\\u0085");                  // NEL
    CHECK(terminal_text("a\xe2\x80\xae" "b") == "a\\u202eb");        // RIGHT-TO-LEFT OVERRIDE
    CHECK(terminal_text("\xe2\x81\xa6x\xe2\x81\xa9") == "\\u2066x\\u2069");
    CHECK(terminal_text("\xc2\xa0") == "\xc2\xa0");                  // no-break space is text
  }

  TEST_CASE("terminal text escapes every byte that is not well-formed UTF-8") {
    CHECK(terminal_text("\xff\xfe") == "\\xff\\xfe");
    CHECK(terminal_text("\x80") == "\\x80");                         // a stray continuation byte
    CHECK(terminal_text("\xc3") == "\\xc3");                         // truncated at the end
    CHECK(terminal_text("\xc3(") == "\\xc3(");                       // truncated before ASCII
    CHECK(terminal_text("\xc0\xaf") == "\\xc0\\xaf");                // overlong "/"
    CHECK(terminal_text("\xed\xa0\x80") == "\\xed\\xa0\\x80");       // a UTF-16 surrogate
    CHECK(terminal_text("\xf4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80");  // beyond U+10FFFF
  }

  TEST_CASE("terminal text doubles a backslash so that an escape cannot be forged") {
    CHECK(terminal_text("\\x1b") == "\\\\x1b");
    CHECK(terminal_text("C:\\path") == "C:\\\\path");
  }
}
