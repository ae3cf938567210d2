#include "recovery/tool_interface.h"

#include "value/msgpack_codec.h"

namespace snapstore::recovery {

Status encode_document(const Object& doc, std::string& out, std::size_t max_depth) {
  return value::encode_msgpack(doc, out, max_depth);
}

Status encode_value(const Value& value, std::string& out, std::size_t max_depth) {
  return value::encode_msgpack(value, out, max_depth);
}

Result<Value> decode_value(std::string_view bytes, std::size_t max_depth) {
  return value::decode_msgpack(bytes, max_depth);
}

Result<Object> decode_document(std::string_view bytes, std::size_t max_depth) {
  return value::decode_document(bytes, max_depth);
}

}  // namespace snapstore::recovery
