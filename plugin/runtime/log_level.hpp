#pragma once

namespace alliance {

// Same numbering as THP_LOG_* in the host ABI.
enum class LogLevel { debug = 0, info = 1, warning = 2, error = 3 };

}  // namespace alliance
