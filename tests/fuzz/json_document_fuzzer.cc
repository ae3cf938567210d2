// Fuzzes JSON parsing (from_json, value/json_codec.cc) with arbitrary text.
// Properties: a failure is InvalidArgument naming the byte; a parsed Value
// written back with to_json parses to an equal Value (every Value survives
// a JSON round trip: field names from JSON text are valid UTF-8, so D15's
// lossy case cannot arise), and writing is stable; the Value also survives
// the msgpack encoding the store keeps it in.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "snapstore/value.h"
#include "tests/fuzz/fuzz_check.h"
#include "value/msgpack_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr std::size_t kDepth = 100;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = snapstore::from_json(text, kDepth);
  if (!parsed.is_ok()) {
    FUZZ_CHECK(parsed.code() == snapstore::StatusCode::kInvalidArgument, parsed.status().message());
    FUZZ_CHECK(!parsed.status().detail().empty(), "a failure names its reason");
    return 0;
  }
  const snapstore::Value& v = *parsed;
  const std::string written = snapstore::to_json(v);
  auto reparsed = snapstore::from_json(written, kDepth);
  FUZZ_CHECK(reparsed.is_ok(), "to_json output does not parse: " + reparsed.status().message() + " in " + written);
  FUZZ_CHECK(*reparsed == v, "JSON round trip changed the value: " + written);
  FUZZ_CHECK(snapstore::to_json(*reparsed) == written, "to_json is not stable: " + written);

  std::string encoded;
  FUZZ_CHECK(snapstore::value::encode_msgpack(v, encoded, kDepth).is_ok(), "a parsed value does not encode");
  auto decoded = snapstore::value::decode_msgpack(encoded, kDepth);
  FUZZ_CHECK(decoded.is_ok() && *decoded == v, "msgpack round trip changed the value: " + written);
  return 0;
}
