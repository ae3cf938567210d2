// ValueView: typed access over checked document bytes (see value_view.h),
// built on the in-place reader of value/msgpack_scan.h.
#include "snapstore/value_view.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "value/msgpack_scan.h"

namespace snapstore {

namespace {

// The encoding of null: what a default ValueView looks at.
constexpr unsigned char kNullByte = 0xc0;

[[noreturn]] void throw_wrong_type(std::string_view accessor, std::string_view expected, ValueType got) {
  std::string message = "ValueView::";
  message.append(accessor).append(": expected ").append(expected).append(", got ").append(type_name(got));
  throw BadAccess(message);
}

}  // namespace

ValueView::ValueView() noexcept : data_(&kNullByte) {}

ValueType ValueView::type() const noexcept { return value::scan::read_head(data_).type; }

bool ValueView::as_bool() const {
  const auto head = value::scan::read_head(data_);
  if (head.type != ValueType::kBool) throw_wrong_type("as_bool", "bool", head.type);
  return head.boolean;
}

std::int64_t ValueView::as_int() const {
  const auto head = value::scan::read_head(data_);
  if (head.type != ValueType::kInt) throw_wrong_type("as_int", "int64", head.type);
  return head.integer;
}

std::uint64_t ValueView::as_uint() const {
  const auto head = value::scan::read_head(data_);
  if (head.type == ValueType::kUint) return head.unsigned_integer;
  if (head.type != ValueType::kInt) throw_wrong_type("as_uint", "uint64", head.type);
  if (head.integer < 0) {
    throw BadAccess("ValueView::as_uint: expected uint64, got negative int64 " + std::to_string(head.integer));
  }
  return static_cast<std::uint64_t>(head.integer);
}

double ValueView::as_double() const {
  const auto head = value::scan::read_head(data_);
  if (head.type != ValueType::kDouble) throw_wrong_type("as_double", "double", head.type);
  return head.real;
}

double ValueView::to_double() const {
  const auto head = value::scan::read_head(data_);
  switch (head.type) {
    case ValueType::kInt: return static_cast<double>(head.integer);
    case ValueType::kUint: return static_cast<double>(head.unsigned_integer);
    case ValueType::kDouble: return head.real;
    default: throw_wrong_type("to_double", "number", head.type);
  }
}

std::string_view ValueView::as_string() const {
  const auto head = value::scan::read_head(data_);
  if (head.type != ValueType::kString) throw_wrong_type("as_string", "string", head.type);
  return {reinterpret_cast<const char*>(head.body), head.length};
}

std::span<const std::uint8_t> ValueView::as_binary() const {
  const auto head = value::scan::read_head(data_);
  if (head.type != ValueType::kBinary) throw_wrong_type("as_binary", "binary", head.type);
  return {head.body, head.length};
}

std::optional<ValueView> ValueView::find(std::string_view field) const noexcept {
  const auto head = value::scan::read_head(data_);
  if (head.type != ValueType::kObject) return std::nullopt;
  const unsigned char* found = value::scan::find_field(head, field);
  if (found == nullptr) return std::nullopt;
  return ValueView(found);
}

ValueView ValueView::at(std::string_view field) const {
  if (auto found = find(field)) return *found;
  if (!is_object()) throw_wrong_type("at", "object", type());
  throw BadAccess("ValueView::at: no field \"" + std::string(field) + "\"");
}

ValueView ValueView::at(std::size_t index) const {
  const auto head = value::scan::read_head(data_);
  if (head.type != ValueType::kArray) throw_wrong_type("at", "array", head.type);
  if (index >= head.length) {
    throw BadAccess("ValueView::at: index " + std::to_string(index) + " out of range (size " +
                    std::to_string(head.length) + ")");
  }
  const unsigned char* element = head.body;
  for (std::size_t i = 0; i < index; ++i) element = value::scan::skip(element);
  return ValueView(element);
}

std::size_t ValueView::size() const noexcept {
  const auto head = value::scan::read_head(data_);
  switch (head.type) {
    case ValueType::kString:
    case ValueType::kBinary:
    case ValueType::kArray:
    case ValueType::kObject: return head.length;
    default: return 0;
  }
}

Value ValueView::to_value() const { return value::scan::decode(data_); }

std::string_view ValueView::encoded() const noexcept {
  const unsigned char* end = value::scan::skip(data_);
  return {reinterpret_cast<const char*>(data_), static_cast<std::size_t>(end - data_)};
}

ValueView::Field ValueView::field_at(const unsigned char* key) noexcept {
  const auto head = value::scan::read_head(key);
  return Field{{reinterpret_cast<const char*>(head.body), head.length}, ValueView(head.body + head.length)};
}

const unsigned char* ValueView::past_value(const unsigned char* value) noexcept { return value::scan::skip(value); }

const unsigned char* ValueView::past_field(const unsigned char* key) noexcept {
  return value::scan::skip(value::scan::skip(key));
}

ValueView::Range<ValueView> ValueView::elements() const {
  const auto head = value::scan::read_head(data_);
  if (head.type != ValueType::kArray) throw_wrong_type("elements", "array", head.type);
  return {Iterator<ValueView>(head.body, head.length)};
}

ValueView::Range<ValueView::Field> ValueView::fields() const {
  const auto head = value::scan::read_head(data_);
  if (head.type != ValueType::kObject) throw_wrong_type("fields", "object", head.type);
  return {Iterator<Field>(head.body, head.length)};
}

bool operator==(const ValueView& view, const Value& value) {
  const auto head = value::scan::read_head(view.data_);
  if (head.type != value.type()) return false;
  switch (head.type) {
    case ValueType::kNull: return true;
    case ValueType::kBool: return head.boolean == value.as_bool();
    case ValueType::kInt: return head.integer == value.as_int();
    case ValueType::kUint: return head.unsigned_integer == value.as_uint();
    case ValueType::kDouble: {
      const double other = value.as_double();
      return head.real == other || (std::isnan(head.real) && std::isnan(other));  // as Value's ==
    }
    case ValueType::kString: return view.as_string() == value.as_string();
    case ValueType::kBinary: {
      const auto& bytes = value.as_binary().bytes;
      return head.length == bytes.size() && (bytes.empty() || std::memcmp(head.body, bytes.data(), bytes.size()) == 0);
    }
    case ValueType::kArray: {
      const Array& array = value.as_array();
      if (array.size() != head.length) return false;
      std::size_t i = 0;
      for (const ValueView element : view.elements()) {
        if (!(element == array[i++])) return false;
      }
      return true;
    }
    case ValueType::kObject: {
      const Object& object = value.as_object();
      if (object.size() != head.length) return false;
      auto it = object.begin();
      for (const auto& [name, field] : view.fields()) {
        if (name != it->first || !(field == it->second)) return false;
        ++it;
      }
      return true;
    }
  }
  return false;
}

}  // namespace snapstore
