// Text from outside alliancectl (a server's answer, the store, a configuration file, a
// path) on IT's terminal. A terminal obeys control characters: ESC sequences set the
// window title, clear the screen, recolour or move the cursor, and a line break lets a
// server forge a line of alliancectl's own ("result: nothing needs attention"). So every
// such text goes through terminal_text() before it is printed, and comes out visibly
// escaped instead of obeyed.
#pragma once

#include <string>
#include <string_view>

namespace alliance::control {

// `text` as one line that a terminal shows and does not obey:
//   \n \r \t          for line feed, carriage return and tab
//   \xHH              for the other C0 controls (ESC is \x1b), DEL (\x7f) and every
//                     byte that is not part of well-formed UTF-8
//   \uHHHH            for C1 controls (U+0080..U+009F) and the bidirectional
//                     overrides and isolates (U+202A..U+202E, U+2066..U+2069), which
//                     reorder what the reader sees
//   \\                for a backslash, so that an escape cannot be forged
// Everything else (printable ASCII and well-formed UTF-8) is kept as it is.
std::string terminal_text(std::string_view text);

}  // namespace alliance::control
