// The clinical note (clinical_note.hpp) as a PDF: the same sections as the text, and
// the client's trend graph (totals by session on a 0 to 40 axis, the cutoff as a
// dashed line). Drawn with cairo's PDF surface into memory and Pango for every piece
// of text, so Spanish, or any UTF-8 the forms bring, is shaped by HarfBuzz and set in
// a font that has its characters (DejaVu Sans, else Liberation Sans, else fontconfig's
// sans-serif).
//
// US Letter (8.5 x 11 in): the EHRs this goes to (Epic, Oracle Health) are US ones,
// whose clinics print on Letter; an A4 page printed there loses its bottom or is
// shrunk. One page holds a note; a second only when its text needs it.
//
// Threads: runs on the plugin's worker thread. Pango gives each thread its own font
// map, so one render never shares Pango state with another thread. The first render on
// a thread pays for fontconfig's set-up (reading its configuration and font caches):
// docs/architecture.md has the figures.
#pragma once

#include <string>

#include "documents/clinical_note.hpp"

namespace alliance {

struct NotePdf {
  std::string bytes;  // the PDF ("%PDF-1.5 ..."), when `error` is empty
  std::string error;  // why no PDF was made (a cairo status in words); never thrown
};

// Never throws and never aborts: every failure (cairo's status, memory) comes back in
// `error`. The PDF's metadata hold the note's title and "Alliance" as its creator,
// nothing that identifies the client.
NotePdf note_pdf(const ClinicalNote& note);

}  // namespace alliance
