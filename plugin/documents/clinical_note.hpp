// The clinical note of one administration (a completed or a declined measure), for the
// chart's "document" profile: a DocumentReference holding the note as plain text and,
// where configured, as a PDF with the client's trend graph (note_pdf.hpp).
//
// The note is built once, as data (ClinicalNote), and rendered by note_text() and
// note_pdf(), so the text and the PDF always say the same things. It holds everything
// the note says and nothing that identifies the client: no names, no patient or
// session ids (the DocumentReference's subject says whose it is).
//
// Wording: labels and sentences in English (the clinic's language), in the words the
// therapist's page uses (plugin/panels/clinician.html) and the chart's Observations
// use (fhir/mapping); item names as the client read them, in the Questionnaire's
// language, with the English name after them when it differs.
//
// Pure functions, no I/O: callable from any thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "measures/administration.hpp"
#include "measures/measure_definition.hpp"
#include "measures/scores.hpp"
#include "store/store.hpp"

namespace alliance {

// One line of a section: "Total: 27.3 of 40" (a label and its value), or a sentence
// when the label is empty ("In the clinical range: below the cutoff of 25.0 (adult).").
struct NoteLine {
  std::string label;  // English, without a colon; "" for a sentence
  std::string value;
};

struct NoteSection {
  std::string heading;  // "Rating", "Scores", "Cutoff", "Change", "Flags", "Summary", "Not completed"
  std::vector<NoteLine> lines;
};

// One total of the client's trajectory of this measure's family, for the graph.
struct NoteTrendPoint {
  int session_number = 1;
  std::string date;     // "2026-11-02" (UTC), or "" when the time could not be read
  Tenths total = 0;
  std::string measure;  // ORS, CORS, ... (a child who turns 13 goes from CORS to ORS)
  bool current = false;  // this administration
};

struct NoteTrend {
  std::string family;  // "ORS" or "SRS"
  std::string title;   // "ORS total by session" ("CORS ...", or the family's when codes mix)
  std::vector<NoteTrendPoint> points;  // oldest first; empty for a stopped administration
  std::optional<Tenths> cutoff;        // this administration's: clinical or alliance cutoff
  std::string cutoff_label;            // "Clinical cutoff 25.0" or "Alliance cutoff 36.0"
};

struct ClinicalNote {
  // "Outcome Rating Scale (ORS), session 3", or "... (ORS): not completed".
  std::string title;
  std::string measure_code;  // ORS, SRS, CORS, ...
  bool completed = true;     // false: status "stopped" (declined or abandoned), no scores
  std::string language = "en";  // BCP 47 of the labels and sentences
  std::string form_language;    // BCP 47 of the form the client read (item names), e.g. "es"
  // In order. The first is always "Rating" (when, who rated, and for a verbal
  // administration that the therapist read it aloud and entered the answers, the
  // form's language).
  std::vector<NoteSection> sections;
  NoteTrend trend;
};

// The note of `administration`, scored against `measure` (the definition it was
// answered in: its items' names in the client's language). `trend` is the client's
// scores as the store gives them (Store::trend(client_key): every measure, oldest
// first); the note keeps those of this measure's family authored at or before this
// administration, and adds this administration when the store does not hold it yet.
ClinicalNote clinical_note(const Administration& administration, const MeasureDefinition& measure,
                           const std::vector<TrendPoint>& trend);

// The note as plain text (UTF-8, "\n" line ends, lines under 80 columns where the
// words allow), for an EHR that shows text/plain notes. Label columns line up in a
// monospaced font and still read well in a proportional one ("Label:  value").
std::string note_text(const ClinicalNote& note);

// An item's name as the client read it: the item text before its first ":" or " ("
// ("Relación: Me sentí escuchado/a..." gives "Relación"; "Individualmente (bienestar
// personal)" gives "Individualmente"), else its whole text.
std::string item_name_as_read(const MeasureItem& item);

}  // namespace alliance
