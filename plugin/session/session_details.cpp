#include "session/session_details.hpp"

#include <chrono>
#include <optional>

#include "reading/date_time.hpp"

namespace alliance {

namespace {
constexpr size_t kDateBytes = 10;  // "YYYY-MM-DD"
}  // namespace

// "YYYY-MM-DD" at the start of `text` (a date, or the day of an RFC 3339 time as the
// host wrote it), as numbers; a day the calendar does not have (31 February) is refused.
bool parse_date(std::string_view text, int& year, int& month, int& day) {
  if (text.size() < kDateBytes) return false;
  const std::optional<fhir::TimePoint> midnight = fhir::read_fhir_date_time(text.substr(0, kDateBytes));
  if (!midnight) return false;
  const std::chrono::year_month_day date{std::chrono::floor<std::chrono::days>(*midnight)};
  year = static_cast<int>(date.year());
  month = static_cast<int>(static_cast<unsigned>(date.month()));
  day = static_cast<int>(static_cast<unsigned>(date.day()));
  return true;
}

int age_on(const std::string& birth_date, const std::string& on_date) {
  int birth_year = 0, birth_month = 0, birth_day = 0;
  int year = 0, month = 0, day = 0;
  if (!parse_date(birth_date, birth_year, birth_month, birth_day) || !parse_date(on_date, year, month, day)) return -1;
  int age = year - birth_year;
  // Not yet had this year's birthday (a birthday on the session date counts as had).
  if (month < birth_month || (month == birth_month && day < birth_day)) --age;
  return age < 0 ? -1 : age;
}

int effective_age(const Participant& participant, const std::string& session_date) {
  if (participant.age_years >= 0) return participant.age_years;
  if (participant.birth_date.empty()) return -1;
  return age_on(participant.birth_date, session_date);
}

}  // namespace alliance
