#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "documents/note_pdf.hpp"
#include "scoring/scoring.hpp"
#include "support/files.hpp"
#include "support/text.hpp"
#include "test_support.hpp"

using namespace alliance;
using alliance::testing::contains;
using alliance::testing::read_file;
using alliance::testing::shipped_measures;
using alliance::testing::write_file;

namespace {

// Where the PDFs and their pictures stay after the run, for a person to look at:
// build/<preset>/test-output/documents/.
std::filesystem::path pdf_output_folder() {
  const std::filesystem::path folder = ALLIANCE_TEST_OUTPUT_DIR;
  std::filesystem::create_directories(folder);
  return folder;
}

// An ASCII text as cairo writes a PDF text string: UTF-16BE with its byte order mark, in hex.
std::string pdf_text_string(const std::string& ascii) {
  std::string hex = "FEFF";
  char digits[5];
  for (const char character : ascii) {
    std::snprintf(digits, sizeof digits, "%04X", static_cast<unsigned>(static_cast<unsigned char>(character)));
    hex += digits;
  }
  return hex;
}

std::string quoted(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

// A Spanish SRS, fourth session, below the alliance cutoff, with its trend.
ClinicalNote spanish_session_rating_note() {
  const MeasureDefinition* measure = shipped_measures().find("SRS", "es");
  REQUIRE(measure != nullptr);
  MeasureHistory history;
  history.earlier_sessions = 3;
  history.earlier_administrations = 3;
  history.intake_total = 362;
  history.previous_total = 371;
  Administration administration;
  administration.measure_code = "SRS";
  administration.language = "es";
  administration.authored_at = "2026-11-23T15:52:00.000Z";
  administration.age_years = 41;
  administration.scored = score_measure(*measure, {92, 84, 90, 88}, 41, history, ScoringRules{});
  const std::vector<TrendPoint> trend = {
      {"ORS", "2026-11-02T15:00:00.000Z", 180, 1, 250},  {"SRS", "2026-11-02T15:50:00.000Z", 362, 1, 360},
      {"SRS", "2026-11-09T15:50:00.000Z", 380, 2, 360},  {"SRS", "2026-11-16T15:50:00.000Z", 371, 3, 360},
  };
  return clinical_note(administration, *measure, trend);
}

// A completed ORS with six sessions, in the clinical range and off track.
ClinicalNote outcome_note() {
  const MeasureDefinition& measure = shipped_measures().outcome();
  MeasureHistory history;
  history.earlier_sessions = 5;
  history.earlier_administrations = 5;
  history.intake_total = 158;
  history.previous_total = 214;
  Administration administration;
  administration.measure_code = "ORS";
  administration.language = "en";
  administration.authored_at = "2026-12-07T15:01:00.000Z";
  administration.age_years = 29;
  administration.scored = score_measure(measure, {62, 55, 58, 66}, 29, history, ScoringRules{});
  std::vector<TrendPoint> trend;
  const Tenths totals[] = {158, 171, 169, 196, 214};
  for (int index = 0; index < 5; ++index) {
    trend.push_back({"ORS", "2026-11-0" + std::to_string(index + 2) + "T15:00:00.000Z", totals[index], index + 1, 250});
  }
  return clinical_note(administration, measure, trend);
}

struct PdfText {
  std::string text;
  int pages = 0;
};

// Writes the PDF under `name`, draws its first page as a PNG beside it (pdftoppm must
// read it) and returns its text as pdftotext reads it.
PdfText check_pdf_file(const NotePdf& pdf, const std::string& name) {
  REQUIRE(pdf.error.empty());
  REQUIRE(pdf.bytes.size() > 1000);
  CHECK(pdf.bytes.rfind("%PDF-", 0) == 0);
  const std::filesystem::path folder = pdf_output_folder();
  const std::filesystem::path file = folder / (name + ".pdf");
  write_file(file, pdf.bytes);
  const std::string picture = quoted(folder / name);
  REQUIRE(std::system((std::string(ALLIANCE_PDFTOPPM) + " -png -r 80 -singlefile " + quoted(file) + " " + picture).c_str()) == 0);
  CHECK(std::filesystem::file_size(folder / (name + ".png")) > 1000);
  const std::filesystem::path text_file = folder / (name + ".txt");
  REQUIRE(std::system((std::string(ALLIANCE_PDFTOTEXT) + " -layout -enc UTF-8 " + quoted(file) + " " + quoted(text_file)).c_str()) == 0);
  PdfText result;
  result.text = read_file(text_file);
  for (const char character : result.text) result.pages += character == '\f' ? 1 : 0;  // one form feed per page
  return result;
}

}  // namespace

TEST_CASE("a note renders as a one page PDF whose text pdftotext reads back") {
  const ClinicalNote note = spanish_session_rating_note();
  const auto started = std::chrono::steady_clock::now();
  const NotePdf first = note_pdf(note);
  const auto first_done = std::chrono::steady_clock::now();
  const NotePdf second = note_pdf(note);
  const auto second_done = std::chrono::steady_clock::now();
  const auto milliseconds = [](auto duration) {
    return std::chrono::duration<double, std::milli>(duration).count();
  };
  // The first render in a process pays for fontconfig and Pango's set-up.
  MESSAGE("note_pdf: first render " << milliseconds(first_done - started) << " ms, second "
                                    << milliseconds(second_done - first_done) << " ms");
  CHECK(second.error.empty());

  const PdfText read = check_pdf_file(first, "srs-es");
  INFO(read.text);
  CHECK(read.pages == 1);
  CHECK(contains(read.text, "Session Rating Scale (SRS), session 4"));
  // Spanish item names, accents intact (shaped by Pango, embedded with their glyphs' text).
  CHECK(contains(read.text, "Relación (Relationship)"));
  CHECK(contains(read.text, "Enfoque o método"));
  CHECK(contains(read.text, "35.4 of 40"));
  CHECK(contains(read.text, "Dashed line: alliance cutoff 36.0"));
  CHECK(contains(read.text, "SRS total by session"));
  // The graph's point labels: every total of the trend.
  for (const char* total : {"36.2", "38.0", "37.1", "35.4"}) CHECK(contains(read.text, total));
  CHECK(contains(read.text, "Session"));
  CHECK(contains(read.text, "Total (0"));
  // Metadata: the title and "Alliance", nothing more about the client.
  CHECK(contains(first.bytes, "/Creator (Alliance)"));
  CHECK(contains(first.bytes, "/Title <" + pdf_text_string("Session Rating Scale (SRS), session 4") + ">"));
}

TEST_CASE("an ORS note and a stopped note render") {
  const PdfText outcome = check_pdf_file(note_pdf(outcome_note()), "ors");
  INFO(outcome.text);
  CHECK(outcome.pages == 1);
  CHECK(contains(outcome.text, "Outcome Rating Scale (ORS), session 6"));
  CHECK(contains(outcome.text, "24.1 of 40"));
  CHECK(contains(outcome.text, "Dashed line: clinical cutoff 25.0"));
  for (const char* total : {"15.8", "17.1", "16.9", "19.6", "21.4", "24.1"}) CHECK(contains(outcome.text, total));

  const MeasureDefinition& measure = shipped_measures().outcome();
  Administration stopped;
  stopped.status = "stopped";
  stopped.not_completed_reason = "declined: Hoy no, gracias";
  stopped.authored_at = "2026-12-07T15:01:00.000Z";
  const PdfText declined = check_pdf_file(note_pdf(clinical_note(stopped, measure, {})), "ors-declined");
  INFO(declined.text);
  CHECK(declined.pages == 1);
  CHECK(contains(declined.text, "Outcome Rating Scale (ORS): not completed"));
  CHECK(contains(declined.text, "The client chose not to fill in the ORS this time."));
  CHECK(contains(declined.text, "Hoy no, gracias"));
  CHECK_FALSE(contains(declined.text, "by session"));
}

TEST_CASE("a verbal administration's PDF says the therapist read it aloud and entered the answers") {
  const MeasureDefinition& measure = shipped_measures().session_rating();
  Administration administration;
  administration.measure_code = "SRS";
  administration.completion_mode = "VERBAL";
  administration.entered_by_reference = "Practitioner/pr-kim";
  administration.authored_at = "2026-12-07T15:52:00.000Z";
  administration.age_years = 29;
  administration.scored = score_measure(measure, {90, 88, 93, 95}, 29, MeasureHistory{}, ScoringRules{});
  const PdfText verbal = check_pdf_file(note_pdf(clinical_note(administration, measure, {})), "srs-verbal");
  INFO(verbal.text);
  CHECK(verbal.pages == 1);
  CHECK(contains(verbal.text, "Administered"));
  CHECK(contains(verbal.text, "read aloud and entered by the therapist"));
  CHECK_FALSE(contains(verbal.text, "pr-kim"));
}

TEST_CASE("a note too long for one page goes on to a second") {
  ClinicalNote note = outcome_note();
  NoteSection& flags = note.sections[4];
  REQUIRE(flags.heading == "Flags");
  for (int index = 1; index <= 40; ++index) {
    flags.lines.push_back({"", "Extra finding " + std::to_string(index) + ": a line that makes the note longer."});
  }
  const PdfText read = check_pdf_file(note_pdf(note), "ors-two-pages");
  INFO(read.text);
  CHECK(read.pages == 2);
  CHECK(contains(read.text, "Continued on page 2"));
  CHECK(contains(read.text, "Extra finding 40"));
  CHECK(contains(read.text, "(continued)"));
}

TEST_CASE("text that is not UTF-8 and notes rendered on two threads at once come back as PDFs") {
  ClinicalNote note = spanish_session_rating_note();
  note.sections[0].lines.push_back({"Broken", std::string("caf\xe9 \xff")});
  NotePdf on_other_thread;
  std::thread other([&] { on_other_thread = note_pdf(note); });
  const NotePdf here = note_pdf(note);
  other.join();
  CHECK(here.error.empty());
  CHECK(on_other_thread.error.empty());
  CHECK(here.bytes.rfind("%PDF-", 0) == 0);
  CHECK(on_other_thread.bytes.rfind("%PDF-", 0) == 0);
}
