// Helpers shared by the unit tests: temporary folders and the shipped measures.
#pragma once

#include <filesystem>
#include <string>

#include "measures/measure_library.hpp"
#include "support/files.hpp"
#include "support/temporary_folder.hpp"

namespace alliance::testing {

using alliance::testing::TemporaryFolder;  // support/temporary_folder.hpp
using alliance::testing::write_file;       // support/files.hpp

// The ORS and SRS shipped in fhir/questionnaires.
const MeasureLibrary& shipped_measures();

// A fresh store key file (32 random bytes, base64, mode 0600) in `folder`.
std::filesystem::path write_key_file(const std::filesystem::path& folder, const std::string& name = "store.key");

// `plaintext` sealed as releases up to 0.1 sealed every value of the store: AES-256-GCM
// under the key in `key_file`, nonce | ciphertext | tag, with only the row's id as
// authenticated data. Written here with OpenSSL directly, apart from OutboxKeys, so that
// the tests of older stores do not depend on the code they test.
std::string seal_as_release_0_1(const std::filesystem::path& key_file, const std::string& plaintext,
                                const std::string& row_id);

// Every byte of the database file and of its -wal file, if there is one.
std::string database_file_bytes(const std::filesystem::path& database);

}  // namespace alliance::testing
