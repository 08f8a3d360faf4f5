#include "documents/note_pdf.hpp"

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <memory>
#include <new>
#include <vector>

namespace alliance {
namespace {

// US Letter in points, with 0.75 in margins.
constexpr double kPageWidth = 612.0;
constexpr double kPageHeight = 792.0;
constexpr double kMargin = 54.0;
constexpr double kContentWidth = kPageWidth - 2 * kMargin;
constexpr double kFooterSpace = 24.0;  // kept free above the bottom margin for "Continued on page 2"
// The graph's block: its title, room above the plot for the labels of points near 40,
// the plot, the session numbers and the legend under it.
constexpr double kPlotHeight = 160.0;
constexpr double kGraphHeight = 20 + 14 + kPlotHeight + 32 + 16;
// A note is a page or two of text and a graph: a PDF this large means something is wrong.
constexpr std::size_t kMaximumPdfBytes = 16 * 1024 * 1024;

// Families in order of preference; the first one fontconfig has is used for each
// character. ./run installs DejaVu (fonts-dejavu-core) and Liberation.
constexpr const char* kFamilies = "DejaVu Sans, Liberation Sans, sans-serif";

struct Colour {
  double red, green, blue;
};
constexpr Colour kInk{0.10, 0.10, 0.12};
constexpr Colour kMuted{0.33, 0.35, 0.40};
constexpr Colour kRule{0.78, 0.80, 0.84};
constexpr Colour kGrid{0.88, 0.89, 0.92};
constexpr Colour kSeries{0.09, 0.32, 0.62};
constexpr Colour kCutoff{0.72, 0.16, 0.12};
constexpr Colour kConcernZone{0.995, 0.955, 0.945};

struct SurfaceDeleter {
  void operator()(cairo_surface_t* surface) const { cairo_surface_destroy(surface); }
};
struct ContextDeleter {
  void operator()(cairo_t* context) const { cairo_destroy(context); }
};
struct LayoutDeleter {
  void operator()(PangoLayout* layout) const { g_object_unref(layout); }
};
struct FontDeleter {
  void operator()(PangoFontDescription* font) const { pango_font_description_free(font); }
};
using Surface = std::unique_ptr<cairo_surface_t, SurfaceDeleter>;
using Context = std::unique_ptr<cairo_t, ContextDeleter>;
using Layout = std::unique_ptr<PangoLayout, LayoutDeleter>;
using Font = std::unique_ptr<PangoFontDescription, FontDeleter>;

struct Sink {
  std::string bytes;
  bool too_large = false;
};

// cairo's write function: a C callback, so nothing may be thrown out of it.
cairo_status_t append_bytes(void* closure, const unsigned char* data, unsigned int length) {
  auto* sink = static_cast<Sink*>(closure);
  if (sink->bytes.size() + length > kMaximumPdfBytes) {
    sink->too_large = true;
    return CAIRO_STATUS_WRITE_ERROR;
  }
  try {
    sink->bytes.append(reinterpret_cast<const char*>(data), length);
  } catch (const std::exception&) {
    return CAIRO_STATUS_NO_MEMORY;
  }
  return CAIRO_STATUS_SUCCESS;
}

Font font(double size, bool bold) {
  Font description(pango_font_description_from_string(kFamilies));
  pango_font_description_set_absolute_size(description.get(), size * PANGO_SCALE);
  pango_font_description_set_weight(description.get(), bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  return description;
}

// Pango refuses invalid UTF-8 with a warning and draws nothing: repair it instead (each
// bad byte becomes U+FFFD).
std::string valid_utf8(const std::string& words) {
  gchar* valid = g_utf8_make_valid(words.data(), static_cast<gssize>(words.size()));
  std::string result = valid;
  g_free(valid);
  return result;
}

void set_text(PangoLayout* layout, const std::string& words) {
  const std::string valid = valid_utf8(words);
  pango_layout_set_text(layout, valid.c_str(), static_cast<int>(valid.size()));
}

void set_colour(cairo_t* context, const Colour& colour) {
  cairo_set_source_rgb(context, colour.red, colour.green, colour.blue);
}

// Draws the note onto one cairo context, page after page.
class NoteDrawing {
 public:
  NoteDrawing(cairo_t* context, const ClinicalNote& note)
      : context_(context),
        note_(note),
        layout_(pango_cairo_create_layout(context)),
        title_font_(font(16, true)),
        heading_font_(font(11.5, true)),
        body_font_(font(10, false)),
        bold_font_(font(10, true)),
        small_font_(font(8, false)) {}

  void draw() {
    y_ = kMargin;
    text(note_.title, title_font_.get(), kMargin, kContentWidth, kInk);
    y_ += 4;
    rule(kSeries, 1.5);
    y_ += 4;
    // The rating's details first, then the graph while the page has room for it, then
    // the scores beside what they mean (cutoff, change), then the rest full width.
    const std::vector<NoteSection>& sections = note_.sections;
    for (std::size_t index = 0; index < sections.size(); ++index) {
      if (sections[index].heading == "Scores" && index + 1 < sections.size() &&
          sections[index + 1].heading == "Cutoff") {
        std::vector<const NoteSection*> right = {&sections[index + 1]};
        if (index + 2 < sections.size() && sections[index + 2].heading == "Change") right.push_back(&sections[index + 2]);
        side_by_side(sections[index], right);
        index += right.size();
      } else {
        section(sections[index], kMargin, kContentWidth);
      }
      if (index == 0 && !note_.trend.points.empty()) graph();
    }
    footer(false);
  }

 private:
  // Lays `words` out in `width` points (wrapping at words, or within a word too long
  // for a line) and returns its height; draws it at (x, y_) when `draw` is set.
  double text_at(const std::string& words, const PangoFontDescription* description, double x, double width,
                 const Colour& colour, bool draw, PangoAlignment alignment = PANGO_ALIGN_LEFT) {
    PangoLayout* layout = layout_.get();
    pango_layout_set_font_description(layout, description);
    pango_layout_set_width(layout, static_cast<int>(width * PANGO_SCALE));
    pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_alignment(layout, alignment);
    set_text(layout, words);
    int height = 0;
    pango_layout_get_size(layout, nullptr, &height);
    if (draw && drawing_) {
      set_colour(context_, colour);
      cairo_move_to(context_, x, y_);
      pango_cairo_show_layout(context_, layout);
    }
    return static_cast<double>(height) / PANGO_SCALE;
  }

  double text_width(const std::string& words, const PangoFontDescription* description) {
    PangoLayout* layout = layout_.get();
    pango_layout_set_font_description(layout, description);
    pango_layout_set_width(layout, -1);
    set_text(layout, words);
    int width = 0;
    pango_layout_get_size(layout, &width, nullptr);
    return static_cast<double>(width) / PANGO_SCALE;
  }

  void text(const std::string& words, const PangoFontDescription* description, double x, double width,
            const Colour& colour) {
    const double height = text_at(words, description, x, width, colour, false);
    room_for(height);
    y_ += text_at(words, description, x, width, colour, true);
  }

  void rule(const Colour& colour, double line_width, double x = kMargin, double width = kContentWidth) {
    if (!drawing_) return;
    set_colour(context_, colour);
    cairo_set_line_width(context_, line_width);
    cairo_move_to(context_, x, y_);
    cairo_line_to(context_, x + width, y_);
    cairo_stroke(context_);
  }

  double bottom() const { return kPageHeight - kMargin - kFooterSpace; }

  // Starts a new page when `height` more points do not fit on this one.
  void room_for(double height) {
    // Blocks laid out side by side asked for their whole height before they started.
    if (!flowing_ || y_ + height <= bottom() || y_ <= kMargin + 40) return;
    footer(true);
    cairo_show_page(context_);
    ++page_;
    y_ = kMargin;
    text_at(note_.title + " (continued)", small_font_.get(), kMargin, kContentWidth, kMuted, true);
    y_ += 18;
  }

  void footer(bool continued) {
    if (!continued && page_ == 1) return;
    const double saved = y_;
    y_ = kPageHeight - kMargin - 12;
    const std::string words = continued ? "Continued on page " + std::to_string(page_ + 1)
                                        : "Page " + std::to_string(page_);
    text_at(words, small_font_.get(), kMargin, kContentWidth, kMuted, true, PANGO_ALIGN_RIGHT);
    y_ = saved;
  }

  void section(const NoteSection& section, double x, double width) {
    // A heading never ends a page alone: room for it and its first line.
    const double first_line = section.lines.empty() ? 0.0 : 16.0;
    room_for(22 + first_line);
    y_ += 8;
    y_ += text_at(section.heading, heading_font_.get(), x, width, kSeries, true);
    y_ += 1;
    rule(kRule, 0.6, x, width);
    y_ += 4;
    // One label column per section, as wide as its widest label while the widest value
    // still fits beside it (long Spanish item names, short scores), and never less than
    // 45% of the line.
    auto [label_width, value_width] = widest_label_and_value(section);
    label_width = std::min(label_width + 10, std::max(width * 0.45, width - value_width - 4));
    for (const NoteLine& line : section.lines) {
      if (line.label.empty()) {
        text(line.value, body_font_.get(), x, width, kInk);
      } else {
        const bool total = line.label == "Total";
        const PangoFontDescription* value_font = total ? bold_font_.get() : body_font_.get();
        const double label_height = text_at(line.label + ":", body_font_.get(), x, label_width - 6, kMuted, false);
        const double value_height = text_at(line.value, value_font, x + label_width, width - label_width, kInk, false);
        room_for(std::max(label_height, value_height));
        text_at(line.label + ":", body_font_.get(), x, label_width - 6, kMuted, true);
        text_at(line.value, value_font, x + label_width, width - label_width, kInk, true);
        y_ += std::max(label_height, value_height);
      }
      y_ += 2;
    }
  }

  // The widest label (with its colon) and the widest value (in bold, the widest face)
  // of a section's labelled lines.
  std::pair<double, double> widest_label_and_value(const NoteSection& section) {
    double label_width = 0;
    double value_width = 0;
    for (const NoteLine& line : section.lines) {
      if (line.label.empty()) continue;
      label_width = std::max(label_width, text_width(line.label + ":", body_font_.get()));
      value_width = std::max(value_width, text_width(line.value, bold_font_.get()));
    }
    return {label_width, value_width};
  }

  // The width a section's labelled lines need to stay on one line each (sentences
  // wrap well and do not count).
  double natural_width(const NoteSection& section) {
    const auto [label_width, value_width] = widest_label_and_value(section);
    return label_width + 10 + value_width + 4;
  }

  // `left` in the left column and `right` one under the other in the right column,
  // kept together on one page; one under the other, full width, when a label or a
  // value would have to wrap in a column (long item names in Spanish, say).
  void side_by_side(const NoteSection& left, const std::vector<const NoteSection*>& right) {
    const double gap = 24;
    const double left_width = std::max(natural_width(left), kContentWidth * 0.42);
    const double right_x = kMargin + left_width + gap;
    const double right_width = kContentWidth - left_width - gap;
    double right_needed = 0;
    for (const NoteSection* next : right) right_needed = std::max(right_needed, natural_width(*next));
    if (right_needed > right_width) {
      section(left, kMargin, kContentWidth);
      for (const NoteSection* next : right) section(*next, kMargin, kContentWidth);
      return;
    }
    const auto lay_out = [&] {
      const double top = y_;
      section(left, kMargin, left_width);
      const double left_end = y_;
      y_ = top;
      for (const NoteSection* next : right) section(*next, right_x, right_width);
      y_ = std::max(y_, left_end);
    };
    // Measure first (nothing drawn), then start a page if the block does not fit.
    const double top = y_;
    drawing_ = false;
    flowing_ = false;
    lay_out();
    const double height = y_ - top;
    y_ = top;
    drawing_ = true;
    flowing_ = true;
    room_for(height);
    flowing_ = false;
    lay_out();
    flowing_ = true;
  }

  // Totals by session number on a 0 to 40 axis, the cutoff dashed, this rating marked.
  void graph() {
    const NoteTrend& trend = note_.trend;
    room_for(kGraphHeight + 8);
    y_ += 8;
    y_ += text_at(trend.title, heading_font_.get(), kMargin, kContentWidth, kSeries, true);
    y_ += 14;  // the labels of points near 40 go here
    const double plot_left = kMargin + 44;
    // Right of the plot: the cutoff's value, where no point or label can cover it.
    const double plot_right = kMargin + kContentWidth - 34;
    const double plot_top = y_;
    const double plot_bottom = y_ + kPlotHeight;
    const auto y_of = [&](double points) { return plot_bottom - (points / 40.0) * (plot_bottom - plot_top); };

    int first = trend.points.front().session_number;
    int last = first;
    for (const NoteTrendPoint& point : trend.points) {
      first = std::min(first, point.session_number);
      last = std::max(last, point.session_number);
    }
    const double inset = 18;  // the first and last points stay clear of the axes
    const auto x_of = [&](int session) {
      if (last == first) return (plot_left + plot_right) / 2;
      return plot_left + inset +
             (plot_right - plot_left - 2 * inset) * static_cast<double>(session - first) / (last - first);
    };

    // The concern zone below the cutoff, lightly tinted (still legible in grey).
    if (trend.cutoff) {
      set_colour(context_, kConcernZone);
      cairo_rectangle(context_, plot_left, y_of(*trend.cutoff / 10.0), plot_right - plot_left,
                      plot_bottom - y_of(*trend.cutoff / 10.0));
      cairo_fill(context_);
    }
    // Grid and the y axis's labels, every 10 points.
    cairo_set_line_width(context_, 0.6);
    for (int value = 0; value <= 40; value += 10) {
      set_colour(context_, value == 0 ? kMuted : kGrid);
      cairo_move_to(context_, plot_left, y_of(value));
      cairo_line_to(context_, plot_right, y_of(value));
      cairo_stroke(context_);
      const double saved = y_;
      y_ = y_of(value) - 5.5;
      text_at(std::to_string(value), small_font_.get(), kMargin + 14, plot_left - kMargin - 19, kMuted, true,
              PANGO_ALIGN_RIGHT);
      y_ = saved;
    }
    set_colour(context_, kMuted);
    cairo_move_to(context_, plot_left, plot_top);
    cairo_line_to(context_, plot_left, plot_bottom);
    cairo_stroke(context_);
    // The y axis's title, turned to read upwards.
    cairo_save(context_);
    cairo_move_to(context_, kMargin, (plot_top + plot_bottom) / 2);
    cairo_rotate(context_, -M_PI / 2);
    const std::string y_title = "Total (0\u201340)";
    const double y_title_width = text_width(y_title, small_font_.get());
    cairo_rel_move_to(context_, -y_title_width / 2, 0);
    set_colour(context_, kMuted);
    pango_cairo_show_layout(context_, layout_.get());
    cairo_restore(context_);

    // The x axis's labels: every session when they fit, else every few.
    const int sessions = last - first + 1;
    const int step = std::max(1, static_cast<int>(std::ceil(sessions / 16.0)));
    for (int session = first; session <= last; session += step) {
      const double saved = y_;
      y_ = plot_bottom + 4;
      text_at(std::to_string(session), small_font_.get(), x_of(session) - 15, 30, kMuted, true, PANGO_ALIGN_CENTER);
      y_ = saved;
    }
    {
      const double saved = y_;
      y_ = plot_bottom + 17;
      text_at("Session", small_font_.get(), plot_left, plot_right - plot_left, kMuted, true, PANGO_ALIGN_CENTER);
      y_ = saved;
    }

    // The cutoff, dashed, labelled at its right end.
    if (trend.cutoff) {
      const double cutoff_y = y_of(*trend.cutoff / 10.0);
      const double dashes[] = {5.0, 3.5};
      set_colour(context_, kCutoff);
      cairo_set_line_width(context_, 1.2);
      cairo_set_dash(context_, dashes, 2, 0);
      cairo_move_to(context_, plot_left, cutoff_y);
      cairo_line_to(context_, plot_right, cutoff_y);
      cairo_stroke(context_);
      cairo_set_dash(context_, nullptr, 0, 0);
      const double saved = y_;
      y_ = cutoff_y - 6;
      text_at(format_tenths(*trend.cutoff), small_font_.get(), plot_right + 4, kMargin + kContentWidth - plot_right - 4,
              kCutoff, true);
      y_ = saved;
    }

    // The line through the totals, then the points, with their totals above them
    // while there is room to read them.
    set_colour(context_, kSeries);
    cairo_set_line_width(context_, 1.8);
    cairo_set_line_join(context_, CAIRO_LINE_JOIN_ROUND);
    for (std::size_t index = 0; index < trend.points.size(); ++index) {
      const NoteTrendPoint& point = trend.points[index];
      const double x = x_of(point.session_number);
      const double y = y_of(point.total / 10.0);
      if (index == 0) {
        cairo_move_to(context_, x, y);
      } else {
        cairo_line_to(context_, x, y);
      }
    }
    cairo_stroke(context_);
    const bool label_points = trend.points.size() <= 16;
    for (const NoteTrendPoint& point : trend.points) {
      const double x = x_of(point.session_number);
      const double y = y_of(point.total / 10.0);
      cairo_new_path(context_);
      if (point.current) {
        // This rating: a larger point with a white ring, so it is found at once.
        set_colour(context_, {1, 1, 1});
        cairo_arc(context_, x, y, 6.0, 0, 2 * M_PI);
        cairo_fill(context_);
        set_colour(context_, kSeries);
        cairo_arc(context_, x, y, 4.8, 0, 2 * M_PI);
        cairo_fill(context_);
      } else {
        set_colour(context_, kSeries);
        cairo_arc(context_, x, y, 3.2, 0, 2 * M_PI);
        cairo_fill(context_);
      }
      if (label_points) {
        const double saved = y_;
        y_ = y - (point.current ? 19 : 16);
        const std::string total = format_tenths(point.total);
        const PangoFontDescription* label_font = point.current ? bold_font_.get() : small_font_.get();
        // A white ground under the number, so the cutoff's dashes never cross it.
        const double label_width = text_width(total, label_font);
        const double label_height = text_at(total, label_font, x - 20, 40, kInk, false);
        if (drawing_) {
          cairo_set_source_rgba(context_, 1, 1, 1, 0.9);
          cairo_rectangle(context_, x - label_width / 2 - 1.5, y_ + 1, label_width + 3, label_height - 2);
          cairo_fill(context_);
        }
        text_at(total, label_font, x - 20, 40, kInk, true, PANGO_ALIGN_CENTER);
        y_ = saved;
      }
    }

    // What the marks mean, in words (colour alone is not enough, and not all print it).
    y_ = plot_bottom + 30;
    std::string legend = "Larger point: this rating.";
    if (trend.cutoff) {
      legend = "Dashed line: " + lower_first(trend.cutoff_label) + "; shaded: below it. " + legend;
    }
    text(legend, small_font_.get(), plot_left, plot_right - plot_left, kMuted);
    y_ += 6;
  }

  static std::string lower_first(std::string words) {
    if (!words.empty() && words[0] >= 'A' && words[0] <= 'Z') words[0] = static_cast<char>(words[0] - 'A' + 'a');
    return words;
  }

  cairo_t* context_;
  const ClinicalNote& note_;
  Layout layout_;
  Font title_font_;
  Font heading_font_;
  Font body_font_;
  Font bold_font_;
  Font small_font_;
  double y_ = kMargin;
  int page_ = 1;
  bool drawing_ = true;  // false while a block is only measured
  bool flowing_ = true;  // false inside a block kept on one page
};

std::string cairo_failure(const char* step, cairo_status_t status) {
  return std::string("the PDF could not be made (") + step + "): " + cairo_status_to_string(status);
}

}  // namespace

NotePdf note_pdf(const ClinicalNote& note) {
  NotePdf result;
  try {
    Sink sink;
    Surface surface(cairo_pdf_surface_create_for_stream(append_bytes, &sink, kPageWidth, kPageHeight));
    if (const cairo_status_t status = cairo_surface_status(surface.get()); status != CAIRO_STATUS_SUCCESS) {
      result.error = cairo_failure("surface", status);
      return result;
    }
    // The title names the measure and session only; nothing identifies the client.
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE, valid_utf8(note.title).c_str());
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "Alliance");
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_SUBJECT, "PCOMS clinical note");
    {
      Context context(cairo_create(surface.get()));
      if (const cairo_status_t status = cairo_status(context.get()); status != CAIRO_STATUS_SUCCESS) {
        result.error = cairo_failure("context", status);
        return result;
      }
      NoteDrawing(context.get(), note).draw();
      cairo_show_page(context.get());
      if (const cairo_status_t status = cairo_status(context.get()); status != CAIRO_STATUS_SUCCESS) {
        result.error = cairo_failure("drawing", status);
        return result;
      }
    }
    cairo_surface_finish(surface.get());
    if (const cairo_status_t status = cairo_surface_status(surface.get()); status != CAIRO_STATUS_SUCCESS) {
      result.error = sink.too_large ? "the PDF could not be made: it would exceed 16 MB"
                                    : cairo_failure("writing", status);
      return result;
    }
    result.bytes = std::move(sink.bytes);
  } catch (const std::bad_alloc&) {
    result = NotePdf{{}, "the PDF could not be made: out of memory"};
  } catch (const std::exception& error) {
    result = NotePdf{{}, std::string("the PDF could not be made: ") + error.what()};
  }
  return result;
}

}  // namespace alliance
