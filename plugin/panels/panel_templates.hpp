// The panel pages, embedded from plugin/panels/*.html at build time.
#pragma once

namespace alliance {

extern const char* const kPanelTemplate_measure;
extern const char* const kPanelTemplate_clinician;
extern const char* const kPanelTemplate_verbal;
extern const char* const kPanelTemplate_client_graph;

}  // namespace alliance
