#include "documents/clinical_note.hpp"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "mapping/resource_parts.hpp"
#include "reading/date_time.hpp"

namespace alliance {
namespace {

// The text renderer's page: lines are wrapped before this column.
constexpr std::size_t kTextColumns = 78;
// Labels wider than this do not widen their section's label column (their value
// starts after them instead), so one long item name cannot push every value right.
constexpr std::size_t kWidestAlignedLabel = 40;

bool is_outcome(const MeasureDefinition& measure) { return measure.kind == MeasureKind::outcome_rating_scale; }

// The measure's name in the clinic's language, naming its code once:
// "Outcome Rating Scale (ORS)".
std::string measure_name(const MeasureDefinition& measure, const std::string& code) {
  std::string title = measure.chart_title.empty() ? measure.title : measure.chart_title;
  if (title.empty()) return code;
  if (title.find("(" + code + ")") == std::string::npos && title != code) title += " (" + code + ")";
  return title;
}

// A change in points, as the therapist's page says it: "+5.0", "-2.0", "0.0".
std::string signed_points(Tenths change) { return change == 0 ? std::string("0.0") : format_tenths(change, true); }

std::optional<fhir::TimePoint> time_of(const std::string& text) { return fhir::read_rfc3339(text); }

// "2026-11-02 15:04 UTC" (the store keeps UTC; the note says so), or the text as it
// came when it is not RFC 3339.
std::string utc_text(const std::string& authored_at, bool with_time) {
  const auto time = time_of(authored_at);
  if (!time) return authored_at;
  const time_t seconds = std::chrono::system_clock::to_time_t(*time);
  struct tm parts {};
  if (gmtime_r(&seconds, &parts) == nullptr) return authored_at;
  char text[40];
  if (with_time) {
    std::snprintf(text, sizeof text, "%04d-%02d-%02d %02d:%02d UTC", parts.tm_year + 1900, parts.tm_mon + 1,
                  parts.tm_mday, parts.tm_hour, parts.tm_min);
  } else {
    std::snprintf(text, sizeof text, "%04d-%02d-%02d", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday);
  }
  return text;
}

// "Spanish (es)": the languages the shipped forms come in by name, others by tag.
std::string language_words(const std::string& tag) {
  const std::string primary = tag.substr(0, tag.find('-'));
  static constexpr std::pair<const char*, const char*> kNames[] = {
      {"en", "English"}, {"es", "Spanish"}, {"fr", "French"}, {"de", "German"}, {"pt", "Portuguese"},
      {"it", "Italian"}, {"nl", "Dutch"},   {"sv", "Swedish"}, {"da", "Danish"}, {"no", "Norwegian"},
      {"nb", "Norwegian"}, {"fi", "Finnish"}, {"pl", "Polish"}, {"zh", "Chinese"}, {"ja", "Japanese"},
      {"ko", "Korean"},  {"ar", "Arabic"},  {"vi", "Vietnamese"}, {"ru", "Russian"}, {"he", "Hebrew"}};
  for (const auto& [code, name] : kNames) {
    if (primary == code) return std::string(name) + " (" + tag + ")";
  }
  return tag.empty() ? std::string("not recorded") : tag;
}

// Who filled the form in, inside a sentence: "the client", "the client's mother"
// (the v3 RoleCode's display, as the chart's QuestionnaireResponse words it), or
// "another person".
std::string rater_words(const Administration& administration) {
  if (!administration.other_rater) return "the client";
  const std::string display = fhir::relationship_display(administration.relationship);
  if (!display.empty()) return "the client's " + display;
  return "another person";
}

std::string rated_by_value(const Administration& administration) {
  if (!administration.other_rater) return "the client";
  // "(other rater)" as the chart's Observations say it: never to be read as the
  // client's own rating. A relationship code without a display is named as it came.
  std::string value = rater_words(administration) + " (other rater";
  if (fhir::relationship_display(administration.relationship).empty() && !administration.relationship.empty()) {
    value += "; relationship code " + administration.relationship;
  }
  return value + ")";
}

std::string capitalised(std::string text) {
  if (!text.empty() && text[0] >= 'a' && text[0] <= 'z') text[0] = static_cast<char>(text[0] - 'a' + 'A');
  return text;
}

bool has_flag(const ScoredMeasure& scored, FlagCode code) {
  return std::any_of(scored.flags.begin(), scored.flags.end(), [code](const Flag& flag) { return flag.code == code; });
}

NoteSection rating_section(const Administration& administration) {
  NoteSection section{"Rating", {}};
  section.lines.push_back({"Date", utc_text(administration.authored_at, true)});
  section.lines.push_back({"Rated by", rated_by_value(administration)});
  // A verbal administration (completion mode VERBAL, as the chart's QuestionnaireResponse
  // codes it): the client said the numbers and the therapist typed them in.
  if (administration.completion_mode == "VERBAL") {
    section.lines.push_back({"Administered", "read aloud and entered by the therapist (phone/audio session)"});
  }
  section.lines.push_back({"Form language", language_words(administration.language)});
  return section;
}

// The reason a measure was not completed, in the words of the therapist's page
// (clinician.html NOT_COMPLETED_WORDS), with who it was.
std::string not_completed_sentence(const Administration& administration, const std::string& code) {
  const std::string reason = administration.not_completed_reason.substr(0, administration.not_completed_reason.find(':'));
  const std::string who = capitalised(rater_words(administration));
  if (reason == "declined") return who + " chose not to fill in the " + code + " this time.";
  if (reason == "dismissed") return who + " closed the " + code + " without finishing it this time.";
  if (reason == "participant_left") return who + " left before finishing the " + code + " this time.";
  if (reason == "session_ended") return "The session ended before the " + code + " was finished.";
  return who + " did not finish the " + code + " this time.";
}

// What the client typed when declining ("declined: <their words>"), if anything.
std::string reason_given(const Administration& administration) {
  const std::string& reason = administration.not_completed_reason;
  const auto colon = reason.find(':');
  if (colon == std::string::npos) return {};
  std::string given = reason.substr(colon + 1);
  const auto first = given.find_first_not_of(" \t");
  return first == std::string::npos ? std::string() : given.substr(first);
}

NoteSection scores_section(const Administration& administration, const MeasureDefinition& measure) {
  NoteSection section{"Scores", {}};
  const ScoredMeasure& scored = administration.scored;
  for (std::size_t index = 0; index < scored.item_scores.size(); ++index) {
    std::string label = "Item " + std::to_string(index + 1);
    if (index < measure.items.size()) {
      const MeasureItem& item = measure.items[index];
      label = item_name_as_read(item);
      // The clinic reads English: the item's code name after the client's words.
      if (!item.coding.display.empty() && item.coding.display != label) label += " (" + item.coding.display + ")";
    }
    section.lines.push_back({label, format_tenths(scored.item_scores[index])});
  }
  section.lines.push_back({"Total", format_tenths(scored.total) + " of 40"});
  return section;
}

NoteSection cutoff_section(const Administration& administration, const MeasureDefinition& measure) {
  NoteSection section{"Cutoff", {}};
  const ScoredMeasure& scored = administration.scored;
  if (!is_outcome(measure)) {
    const std::string cutoff = scored.cutoff ? format_tenths(*scored.cutoff) : std::string("not set");
    section.lines.push_back({"Alliance cutoff", cutoff});
    section.lines.push_back({"", scored.in_concern_range
                                     ? "Alliance concern: the total is below the alliance cutoff."
                                     : "At or above the alliance cutoff: no alliance concern."});
    return section;
  }
  if (!scored.cutoff) {
    section.lines.push_back({"Clinical cutoff", administration.measure_code == "YCORS"
                                                    ? "none (the YCORS has no clinical cutoff)"
                                                    : "none for a young child"});
    return section;
  }
  std::string band = describe(scored.age_band);
  if (scored.age_band == AgeBand::unknown) band += ", adult cutoff used";
  section.lines.push_back({"Clinical cutoff", format_tenths(*scored.cutoff) + " (" + band + ")"});
  section.lines.push_back({"", scored.in_concern_range ? "In the clinical range: the total is below the cutoff."
                                                       : "At or above the clinical cutoff: not in the clinical range."});
  return section;
}

NoteSection change_section(const Administration& administration, const MeasureDefinition& measure) {
  NoteSection section{"Change", {}};
  const ScoredMeasure& scored = administration.scored;
  if (is_outcome(measure)) {
    if (scored.change_since_intake) {
      std::string value = signed_points(*scored.change_since_intake);
      if (has_flag(scored, FlagCode::reliable_improvement)) value += " (reliable improvement)";
      if (has_flag(scored, FlagCode::reliable_deterioration)) value += " (reliably worse)";
      section.lines.push_back({"Since intake", value});
    }
    if (scored.change_since_previous) {
      std::string value = signed_points(*scored.change_since_previous);
      if (has_flag(scored, FlagCode::reliable_change_up) || has_flag(scored, FlagCode::reliable_change_down)) {
        value += " (reliable change)";
      }
      section.lines.push_back({"Since last session", value});
    }
    if (scored.outcome_category) {
      std::string value = outcome_category_words(*scored.outcome_category);
      if (scored.clinically_significant_change) value += " (clinically significant change)";
      section.lines.push_back({"Outcome so far", value});
    }
    if (scored.expected_total && scored.on_track) {
      section.lines.push_back({"Expected response", format_tenths(*scored.expected_total) + " at session " +
                                                        std::to_string(scored.session_number) + ": " +
                                                        (*scored.on_track ? "on track" : "off track")});
    }
    if (section.lines.empty()) section.lines.push_back({"", "Intake: the first score, so no change yet."});
    return section;
  }
  if (scored.change_since_previous) {
    std::string value = signed_points(*scored.change_since_previous);
    if (has_flag(scored, FlagCode::alliance_drop)) value += " (a drop to talk about)";
    section.lines.push_back({"Since last session", value});
  } else {
    section.lines.push_back({"", "First session rating: no change yet."});
  }
  return section;
}

NoteSection flags_section(const ScoredMeasure& scored) {
  NoteSection section{"Flags", {}};
  for (const Flag& flag : scored.flags) section.lines.push_back({"", flag.text});
  if (section.lines.empty()) section.lines.push_back({"", "None."});
  return section;
}

// The client's totals of this measure's family up to this administration, with this
// one marked (and added when the store does not hold it yet).
NoteTrend trend_of(const Administration& administration, const MeasureDefinition& measure,
                   const std::vector<TrendPoint>& points) {
  NoteTrend trend;
  trend.family = measure_code(measure.kind);
  trend.cutoff = administration.scored.cutoff;
  if (trend.cutoff) {
    trend.cutoff_label = std::string(is_outcome(measure) ? "Clinical cutoff " : "Alliance cutoff ") +
                         format_tenths(*trend.cutoff);
  }
  const auto now = time_of(administration.authored_at);
  const auto at_or_before = [&](const std::string& authored_at) {
    const auto time = time_of(authored_at);
    // Both RFC 3339 UTC as the store writes them; text order when one cannot be read.
    return now && time ? *time <= *now : authored_at <= administration.authored_at;
  };
  const auto same_time = [&](const std::string& authored_at) {
    const auto time = time_of(authored_at);
    return now && time ? *time == *now : authored_at == administration.authored_at;
  };
  bool found = false;
  for (const TrendPoint& point : points) {
    if (!is_measure_code(point.measure) || family_of(point.measure) != measure.kind) continue;
    if (!at_or_before(point.authored_at)) continue;
    NoteTrendPoint entry{point.session_number, utc_text(point.authored_at, false), point.total, point.measure, false};
    if (entry.date == point.authored_at) entry.date.clear();
    if (!found && point.measure == administration.measure_code && same_time(point.authored_at) &&
        point.total == administration.scored.total) {
      entry.current = true;
      found = true;
    }
    trend.points.push_back(std::move(entry));
  }
  if (!found) {
    NoteTrendPoint entry{administration.scored.session_number, utc_text(administration.authored_at, false),
                         administration.scored.total, administration.measure_code, true};
    if (entry.date == administration.authored_at) entry.date.clear();
    trend.points.push_back(std::move(entry));
  }
  // A child who turned 13 has CORS and then ORS totals: the family names the series.
  const bool one_measure = std::all_of(trend.points.begin(), trend.points.end(), [&](const NoteTrendPoint& point) {
    return point.measure == administration.measure_code;
  });
  trend.title = (one_measure ? administration.measure_code : trend.family) + " total by session";
  return trend;
}

// ---- Plain text.

// Columns a terminal or a monospaced note gives the text: one per code point (combining
// marks and wide East Asian characters are rare in these labels; they would misalign a
// column, not lose words).
std::size_t columns_of(const std::string& text) {
  std::size_t columns = 0;
  for (const char byte : text) {
    if ((static_cast<unsigned char>(byte) & 0xC0) != 0x80) ++columns;
  }
  return columns;
}

// Words of `text` on lines of at most `width` columns; the first line follows
// `first_prefix`, the others `prefix`. A word longer than a line stays whole.
void wrap(std::string& out, const std::string& text, const std::string& first_prefix, const std::string& prefix,
          std::size_t width) {
  std::string line = first_prefix;
  std::size_t line_columns = columns_of(first_prefix);
  const std::size_t prefix_columns = columns_of(prefix);
  bool line_has_word = false;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    start = end + 1;
    if (word.empty()) continue;
    const std::size_t word_columns = columns_of(word);
    if (line_has_word && line_columns + 1 + word_columns > width) {
      out += line + "\n";
      line = prefix;
      line_columns = prefix_columns;
      line_has_word = false;
    }
    if (line_has_word) {
      line += ' ';
      ++line_columns;
    }
    line += word;
    line_columns += word_columns;
    line_has_word = true;
  }
  if (line_has_word || line != prefix) out += line + "\n";
}

void underline(std::string& out, const std::string& text, char mark) {
  out += text + "\n" + std::string(std::min(columns_of(text), kTextColumns), mark) + "\n";
}

}  // namespace

std::string item_name_as_read(const MeasureItem& item) {
  const std::string& text = item.text;
  std::size_t end = std::min(text.find(':'), text.find(" ("));
  std::string name = end == std::string::npos ? text : text.substr(0, end);
  while (!name.empty() && name.back() == ' ') name.pop_back();
  if (name.empty()) return item.short_name.empty() ? text : item.short_name;
  return name;
}

ClinicalNote clinical_note(const Administration& administration, const MeasureDefinition& measure,
                           const std::vector<TrendPoint>& trend) {
  ClinicalNote note;
  const std::string& code = administration.measure_code.empty() ? measure.code : administration.measure_code;
  note.measure_code = code;
  note.form_language = administration.language.empty() ? measure.language : administration.language;
  note.completed = administration.status != "stopped";
  note.trend.family = measure_code(measure.kind);
  const std::string name = measure_name(measure, code);
  if (!note.completed) {
    // A declined or abandoned measure: what happened and why; no scores (none exist,
    // and the session number was never counted for it).
    note.title = name + ": not completed";
    note.sections.push_back(rating_section(administration));
    NoteSection stopped{"Not completed", {}};
    stopped.lines.push_back({"", not_completed_sentence(administration, code)});
    if (const std::string given = reason_given(administration); !given.empty()) {
      stopped.lines.push_back({"Reason given", given});
    }
    stopped.lines.push_back({"", "No scores were recorded."});
    note.sections.push_back(std::move(stopped));
    return note;
  }
  const ScoredMeasure& scored = administration.scored;
  note.title = name + ", session " + std::to_string(scored.session_number);
  note.sections.push_back(rating_section(administration));
  note.sections.push_back(scores_section(administration, measure));
  note.sections.push_back(cutoff_section(administration, measure));
  note.sections.push_back(change_section(administration, measure));
  note.sections.push_back(flags_section(scored));
  if (!scored.summary.empty()) note.sections.push_back({"Summary", {{"", scored.summary}}});
  note.trend = trend_of(administration, measure, trend);
  return note;
}

std::string note_text(const ClinicalNote& note) {
  std::string out;
  underline(out, note.title, '=');
  for (const NoteSection& section : note.sections) {
    out += "\n";
    underline(out, section.heading, '-');
    std::size_t label_columns = 0;
    for (const NoteLine& line : section.lines) {
      const std::size_t columns = columns_of(line.label) + 1;  // with its colon
      if (!line.label.empty() && columns <= kWidestAlignedLabel) label_columns = std::max(label_columns, columns);
    }
    for (const NoteLine& line : section.lines) {
      if (line.label.empty()) {
        wrap(out, line.value, "", "", kTextColumns);
        continue;
      }
      std::string first = line.label + ":";
      const std::size_t columns = columns_of(first);
      first += std::string(columns < label_columns ? label_columns - columns : 0, ' ') + "  ";
      // A value that wraps continues under itself; a label wider than the column
      // continues under a short indent instead.
      const std::size_t hanging = std::min(columns_of(first), kWidestAlignedLabel + 2);
      wrap(out, line.value, first, std::string(hanging, ' '), kTextColumns);
    }
  }
  if (!note.trend.points.empty()) {
    out += "\n";
    underline(out, note.trend.title, '-');
    const bool mixed = std::any_of(note.trend.points.begin(), note.trend.points.end(),
                                   [&](const NoteTrendPoint& point) { return point.measure != note.measure_code; });
    for (const NoteTrendPoint& point : note.trend.points) {
      std::string line = "Session " + std::to_string(point.session_number);
      line.resize(std::max<std::size_t>(line.size() + 2, 12), ' ');
      line += point.date.empty() ? std::string(10, ' ') : point.date;
      const std::string total = format_tenths(point.total);
      line += std::string(total.size() < 6 ? 8 - total.size() : 2, ' ') + total;
      if (mixed) line += "  " + point.measure;
      if (point.current) line += "  (this rating)";
      out += line + "\n";
    }
    if (!note.trend.cutoff_label.empty()) out += note.trend.cutoff_label + ".\n";
  }
  return out;
}

}  // namespace alliance
