// Fuzzes the mirror's index definition decoder (recovery/mirror_format.h
// decode_index_fields), which reads RocksDB's meta values. Properties: a
// failure is Corruption with a reason; a decoded field list is non-empty and
// holds no more bytes than the input; it re-encodes (with its options) to
// bytes that decode to the same definition and re-encode to themselves.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "recovery/mirror_format.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto definition = snapstore::recovery::decode_index_fields(input);
  if (!definition.is_ok()) {
    FUZZ_CHECK(definition.code() == snapstore::StatusCode::kCorruption, definition.status().message());
    FUZZ_CHECK(!definition.status().detail().empty(), "a failure names its reason");
    return 0;
  }
  const std::vector<std::string>& fields = definition->fields;
  FUZZ_CHECK(!fields.empty(), "an empty field list decoded");
  std::size_t bytes = 0;
  for (const std::string& field : fields) bytes += field.size() + 1;  // a string takes at least its header byte
  FUZZ_CHECK(bytes <= size, std::to_string(bytes) + " bytes of fields from " + std::to_string(size));
  const std::string encoded = snapstore::recovery::encode_index_fields(fields, definition->options);
  auto again = snapstore::recovery::decode_index_fields(encoded);
  FUZZ_CHECK(again.is_ok() && again->fields == fields && again->options == definition->options,
             "the re-encoded definition decodes to another definition");
  FUZZ_CHECK(snapstore::recovery::encode_index_fields(again->fields, again->options) == encoded,
             "the encoding is not stable");
  return 0;
}
