// Value: the schemaless data model of snapstore documents.
//
// A Value is null, bool, int64, uint64 (only where the number does not fit
// int64), double, string (UTF-8 by convention; bytes are kept as given),
// binary, array or object. A Document is an object: a map from field name to
// Value, kept sorted by name so that encodings and comparisons are
// deterministic.
//
//   Document doc{{"name", "Alice"}, {"age", 30}, {"tags", Array{"a", "b"}}};
//
// Values have value semantics: copying a Value copies everything beneath it.
// operator== is deep structural equality (5 and 5.0 differ; NaN equals NaN).
// compare() is the total order indexes use (5 and 5.0 are equal there).
//
// Thread safety: a Value is a plain value type; const access from many threads
// is safe, mutation needs external synchronization.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "snapstore/status.h"

namespace snapstore {

class Value;

using Array = std::vector<Value>;
using Object = std::map<std::string, Value, std::less<>>;
using Document = Object;

// Raw bytes, distinct from strings (msgpack bin, JSON {"$binary": base64}).
struct Binary {
  std::vector<std::uint8_t> bytes;

  Binary() = default;
  explicit Binary(std::vector<std::uint8_t> b) : bytes(std::move(b)) {}
  Binary(std::initializer_list<std::uint8_t> b) : bytes(b) {}
  friend bool operator==(const Binary&, const Binary&) = default;
};

// Explicit numbers, never reused; also the order of classes in compare() is
// NOT this enum's order (numbers of all three kinds form one class).
enum class ValueType : std::uint8_t {
  kNull = 0,
  kBool = 1,
  kInt = 2,     // int64
  kUint = 3,    // uint64 above INT64_MAX
  kDouble = 4,
  kString = 5,
  kBinary = 6,
  kArray = 7,
  kObject = 8,
};

// "null", "bool", "int64", "uint64", "double", "string", "binary", "array", "object".
std::string_view type_name(ValueType type) noexcept;

namespace detail {
// Character types are not numbers. signed char and unsigned char are not in
// the list: they are std::int8_t and std::uint8_t.
template <typename T>
inline constexpr bool is_char_type_v =
    std::is_same_v<T, char> || std::is_same_v<T, wchar_t> || std::is_same_v<T, char8_t> ||
    std::is_same_v<T, char16_t> || std::is_same_v<T, char32_t>;
}  // namespace detail

class Value {
 public:
  Value() noexcept = default;  // null
  Value(std::nullptr_t) noexcept {}  // NOLINT(google-explicit-constructor)
  Value(bool b) noexcept : data_(b) {}  // NOLINT(google-explicit-constructor)

  // Any integer type. Unsigned values that fit int64 are stored as int64, so
  // one number has one representation.
  template <typename T>
    requires(std::is_integral_v<T> && !std::is_same_v<T, bool> && !detail::is_char_type_v<T>)
  Value(T n) noexcept {  // NOLINT(google-explicit-constructor)
    if constexpr (std::is_signed_v<T>) {
      data_ = static_cast<std::int64_t>(n);
    } else if (static_cast<std::uint64_t>(n) <= static_cast<std::uint64_t>(INT64_MAX)) {
      data_ = static_cast<std::int64_t>(n);
    } else {
      data_ = static_cast<std::uint64_t>(n);
    }
  }
  template <typename T>
    requires std::is_floating_point_v<T>
  Value(T d) noexcept : data_(static_cast<double>(d)) {}  // NOLINT(google-explicit-constructor)

  Value(const char* s) : data_(std::string(s)) {}  // NOLINT(google-explicit-constructor)
  Value(std::string s) noexcept : data_(std::move(s)) {}  // NOLINT(google-explicit-constructor)
  Value(std::string_view s) : data_(std::string(s)) {}  // NOLINT(google-explicit-constructor)
  Value(Binary b) noexcept : data_(std::move(b)) {}  // NOLINT(google-explicit-constructor)
  Value(Array a) noexcept : data_(std::move(a)) {}  // NOLINT(google-explicit-constructor)
  Value(Object o) noexcept : data_(std::move(o)) {}  // NOLINT(google-explicit-constructor)

  // Pointers other than const char*, and characters, would silently become bool.
  template <typename T>
  Value(T*) = delete;
  template <typename T>
    requires detail::is_char_type_v<T>
  Value(T) = delete;

  ValueType type() const noexcept { return static_cast<ValueType>(data_.index()); }
  std::string_view type_name() const noexcept { return snapstore::type_name(type()); }

  bool is_null() const noexcept { return type() == ValueType::kNull; }
  bool is_bool() const noexcept { return type() == ValueType::kBool; }
  bool is_int() const noexcept { return type() == ValueType::kInt; }
  bool is_uint() const noexcept { return type() == ValueType::kUint; }
  bool is_double() const noexcept { return type() == ValueType::kDouble; }
  bool is_number() const noexcept { return is_int() || is_uint() || is_double(); }
  bool is_string() const noexcept { return type() == ValueType::kString; }
  bool is_binary() const noexcept { return type() == ValueType::kBinary; }
  bool is_array() const noexcept { return type() == ValueType::kArray; }
  bool is_object() const noexcept { return type() == ValueType::kObject; }

  // Typed accessors. Each throws BadAccess naming the expected and the actual
  // type when the Value holds another type. as_int() accepts an int64 only;
  // as_uint() accepts a uint64 or a non-negative int64; as_double() a double
  // only (use to_double() to convert any number).
  bool as_bool() const;
  std::int64_t as_int() const;
  std::uint64_t as_uint() const;
  double as_double() const;
  double to_double() const;  // any number, converted; BadAccess otherwise
  const std::string& as_string() const;
  std::string& as_string();
  const Binary& as_binary() const;
  Binary& as_binary();
  const Array& as_array() const;
  Array& as_array();
  const Object& as_object() const;
  Object& as_object();

  // Object access. find() returns nullptr when this is not an object or has
  // no such field; at() throws BadAccess instead. operator[] turns a null into
  // an empty object and inserts a null field when missing, like std::map.
  const Value* find(std::string_view field) const noexcept;
  const Value& at(std::string_view field) const;
  Value& operator[](std::string_view field);
  bool contains(std::string_view field) const noexcept { return find(field) != nullptr; }

  // Array access; at() throws BadAccess when out of range or not an array.
  const Value& at(std::size_t index) const;

  // Elements of an array or object, bytes of a string or binary, 0 otherwise.
  std::size_t size() const noexcept;

  // Deep structural equality: same type and same contents (NaN == NaN).
  friend bool operator==(const Value& a, const Value& b) noexcept;

 private:
  // The alternatives' order must match ValueType.
  std::variant<std::monostate, bool, std::int64_t, std::uint64_t, double, std::string, Binary, Array, Object> data_;
};

// The total order of index keys:
//   null < bool (false < true) < numbers < strings (bytewise) < binary
//        < arrays (element-wise, shorter first) < objects (by sorted fields)
// Numbers of all kinds compare by exact numeric value (int64, uint64 and
// double, also beyond 2^53); NaN sorts after every other number and equals
// itself; -0.0 equals 0.0. Returns <0, 0 or >0.
int compare(const Value& a, const Value& b) noexcept;

// Nesting depth: scalars 0, an array or object 1 + the deepest element.
std::size_t nesting_depth(const Value& v) noexcept;

// JSON text. Every JSON value maps to the obvious Value (integers that fit
// int64 or uint64 stay integers; numbers with a fraction or exponent are
// doubles). Values JSON cannot carry use single-field objects (docs/FORMATS.md):
//   binary            {"$binary": "<base64>"}
//   NaN, ±infinity    {"$double": "NaN" | "Infinity" | "-Infinity"}
//   non-UTF-8 string  {"$string": "<base64 of the bytes>"}
//   an object whose only field is one of these names is wrapped: {"$object": {...}}
// so to_json() followed by from_json() gives back an equal Value for every
// Value. Doubles are written so that they read back as doubles (1.0, not 1).
// indent < 0 writes compact text; otherwise pretty-printed with that indent.
std::string to_json(const Value& v, int indent = -1);

// Parses JSON text. Errors are InvalidArgument naming the byte offset; input
// nested deeper than max_depth is rejected rather than parsed.
Result<Value> from_json(std::string_view text, std::size_t max_depth = 100);

// Prints to_json(v); lets GoogleTest and logs show Values.
std::ostream& operator<<(std::ostream& os, const Value& v);

}  // namespace snapstore
