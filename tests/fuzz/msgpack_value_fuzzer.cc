// Fuzzes the document decoder (value/msgpack_codec.h) with arbitrary bytes.
// Properties: a failure is Corruption with a reason; a decoded Value holds no
// more values or string bytes than the input could carry; it re-encodes to
// canonical bytes that decode to an equal Value and re-encode to themselves;
// decode_document agrees with decode_msgpack; scan::check_document() accepts
// only documents, every canonical encoding of one, and what it accepts the
// in-place reader (decode_object, ValueView) reads as decode_document does.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "snapstore/value.h"
#include "tests/fuzz/fuzz_check.h"
#include "value/msgpack_codec.h"
#include "value/msgpack_scan.h"

namespace {

using snapstore::Value;
using snapstore::ValueType;

constexpr std::size_t kDepth = 100;  // Options::max_nesting_depth's default

// Values (every node) and string, binary and key bytes in `v`.
void measure(const Value& v, std::size_t& values, std::size_t& bytes) {
  ++values;
  switch (v.type()) {
    case ValueType::kString: bytes += v.as_string().size(); break;
    case ValueType::kBinary: bytes += v.as_binary().bytes.size(); break;
    case ValueType::kArray:
      for (const Value& element : v.as_array()) measure(element, values, bytes);
      break;
    case ValueType::kObject:
      for (const auto& [name, field] : v.as_object()) {
        bytes += name.size();
        measure(field, values, bytes);
      }
      break;
    default: break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto decoded = snapstore::value::decode_msgpack(input, kDepth);
  auto document = snapstore::value::decode_document(input, kDepth);
  const snapstore::Status checked = snapstore::value::scan::check_document(input, kDepth);
  if (checked.is_ok()) {
    FUZZ_CHECK(document.is_ok(), "check_document accepted what decode_document refused");
    const auto* bytes = snapstore::value::scan::bytes_of(input);
    FUZZ_CHECK(Value(snapstore::value::scan::decode_object(bytes)) == Value(*document), "in-place decode differs");
    const auto view = snapstore::detail::ViewAccess::of(bytes);
    FUZZ_CHECK(view == Value(*document), "the view differs from the decoded document");
    FUZZ_CHECK(view.encoded() == input, "the view's extent differs from the input");
  } else {
    FUZZ_CHECK(checked.code() == snapstore::StatusCode::kCorruption, checked.message());
  }
  if (!decoded.is_ok()) {
    FUZZ_CHECK(decoded.code() == snapstore::StatusCode::kCorruption, decoded.status().message());
    FUZZ_CHECK(!decoded.status().detail().empty(), "a failure names its reason");
    FUZZ_CHECK(!document.is_ok(), "decode_document accepted what decode_msgpack refused");
    return 0;
  }
  const Value& v = *decoded;
  FUZZ_CHECK(document.is_ok() == v.is_object(), "decode_document disagrees with decode_msgpack");
  if (document.is_ok()) FUZZ_CHECK(Value(*document) == v, "decode_document decoded another value");

  // Every value takes at least one input byte, and string bytes are copied
  // from the input, never made up.
  std::size_t values = 0, bytes = 0;
  measure(v, values, bytes);
  FUZZ_CHECK(values <= size, std::to_string(values) + " values from " + std::to_string(size) + " bytes");
  FUZZ_CHECK(bytes <= size, std::to_string(bytes) + " string bytes from " + std::to_string(size) + " bytes");

  std::string encoded;
  const snapstore::Status encoded_status = snapstore::value::encode_msgpack(v, encoded, kDepth);
  FUZZ_CHECK(encoded_status.is_ok(), "a decoded value does not encode: " + encoded_status.message());
  auto again = snapstore::value::decode_msgpack(encoded, kDepth);
  FUZZ_CHECK(again.is_ok(), "canonical bytes do not decode: " + again.status().message());
  FUZZ_CHECK(*again == v, "the re-encoded value decodes to another value");
  std::string reencoded;
  FUZZ_CHECK(snapstore::value::encode_msgpack(*again, reencoded, kDepth).is_ok(), "second encode failed");
  FUZZ_CHECK(reencoded == encoded, "the encoding is not canonical: two encodings of one value");
  if (v.is_object()) {
    const snapstore::Status canonical = snapstore::value::scan::check_document(encoded, kDepth);
    FUZZ_CHECK(canonical.is_ok(), "check_document refused an encoded document: " + canonical.message());
  }
  return 0;
}
