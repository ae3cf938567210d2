// Fuzzes the WAL batch payload decoder (wal/record.h decode_payload) with
// arbitrary bytes, as if they had passed the record checksum. Properties: a
// failure is Corruption with a reason; a decoded batch holds no more than the
// payload could carry and its LSN range does not wrap; it re-encodes with the
// writer's encoder to a payload that decodes to an equal batch and
// re-encodes to itself.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "tests/fuzz/fuzz_check.h"
#include "wal/record.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  auto batch = snapstore::wal::decode_payload(payload);
  if (!batch.is_ok()) {
    FUZZ_CHECK(batch.code() == snapstore::StatusCode::kCorruption, batch.status().message());
    FUZZ_CHECK(!batch.status().detail().empty(), "a failure names its reason");
    return 0;
  }
  FUZZ_CHECK(!batch->ops.empty(), "a batch without operations");
  FUZZ_CHECK(batch->first_lsn != 0, "LSN 0 is never written");
  FUZZ_CHECK(batch->ops.size() - 1 <= std::numeric_limits<std::uint64_t>::max() - batch->first_lsn,
             "the batch's LSN range wraps around");
  // An operation takes at least four bytes ([type, key] with their headers);
  // keys, documents and field names are copied from the payload.
  std::size_t bytes = 0;
  for (const auto& op : batch->ops) {
    bytes += op.key.size() + op.document.size();
    for (const auto& field : op.fields) bytes += field.size();
  }
  FUZZ_CHECK(4 * batch->ops.size() <= size, std::to_string(batch->ops.size()) + " operations");
  FUZZ_CHECK(bytes <= size, std::to_string(bytes) + " decoded bytes from a payload of " + std::to_string(size));

  std::string encoded;
  snapstore::wal::append_payload(encoded, batch->first_lsn, snapstore::wal::encode_operations(batch->ops));
  auto again = snapstore::wal::decode_payload(encoded);
  FUZZ_CHECK(again.is_ok(), "the writer's encoding does not decode: " + again.status().message());
  FUZZ_CHECK(*again == *batch, "the re-encoded batch decodes to another batch");
  std::string reencoded;
  snapstore::wal::append_payload(reencoded, again->first_lsn, snapstore::wal::encode_operations(again->ops));
  FUZZ_CHECK(reencoded == encoded, "the writer's encoding is not stable");
  return 0;
}
