// Expected treatment response (ETR) for an outcome measure: the average trajectory of
// past clients who started with the same intake score. The trajectories are licensed
// data (pcoms.md, "Expected treatment response"): a clinic installs a table under its
// licence and the project ships none. Without a table no ORS is marked on or off track.
//
// The file is plain JSON (not a FHIR resource), at most 1 MiB:
//
//   {
//     "measure": "ORS",                    // the outcome measure it applies to: ORS, CORS or YCORS
//     "source": "free text naming the licence and where the data came from",
//     "intake_tolerance": 1.0,             // optional, points, 0 to 40; default 1.0
//     "rows": [                            // at least one
//       { "intake": 15.0,                  // the intake total the row applies to, 0 to 40
//         "sessions": [                    // at least one
//           { "session": 2,                // whole number, 1 to 1000; 1 is the intake
//             "expected": 17.2,            // expected total at that session, 0 to 40
//             "off_track_below": 14.9 },   // optional; a total below it is off track.
//           ...                            //   Absent: the expected total is the threshold.
//         ] },
//       ...
//     ]
//   }
//
// Scores are points; they are kept as tenths (rounded to the nearest tenth). A client's
// row is the one whose "intake" is nearest the client's intake total, and no further
// away than intake_tolerance (pcoms.md: clients with the same intake score +-1); two
// rows with the same intake, or a session listed twice in a row, are refused. Other
// keys are ignored, so a table may carry notes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "measures/scores.hpp"

namespace alliance {

constexpr std::uintmax_t kMaximumExpectedResponseBytes = 1024 * 1024;

class ExpectedResponseTable {
 public:
  struct Expectation {
    Tenths expected = 0;         // the expected total at the session
    Tenths off_track_below = 0;  // a total below this is off track (never above expected)
  };

  // Reads a table file. On failure returns nothing and appends the reasons to
  // `problems`, each starting with the file's path.
  static std::optional<ExpectedResponseTable> load(const std::filesystem::path& path,
                                                   std::vector<std::string>& problems);
  // Reads a table from text; `source` names it in problems ("<source>: rows[2].intake: ...").
  static std::optional<ExpectedResponseTable> parse(const std::string& text, const std::string& source,
                                                    std::vector<std::string>& problems);

  // What the row nearest `intake_total` (within the tolerance) expects at
  // `session_number` (1 = intake). Nothing when no row is near enough or the row does
  // not list that session. Between two equally near rows the lower intake is used.
  std::optional<Expectation> expectation(Tenths intake_total, int session_number) const;

  const std::string& measure() const { return measure_; }  // "ORS", "CORS" or "YCORS"
  const std::string& source() const { return source_; }    // the licence text from the file
  Tenths intake_tolerance() const { return intake_tolerance_; }

 private:
  std::string measure_;
  std::string source_;
  Tenths intake_tolerance_ = 10;
  // Intake total -> session number -> expectation; ordered, so lookups never depend
  // on the order of the file.
  std::map<Tenths, std::map<int, Expectation>> rows_;
};

}  // namespace alliance
