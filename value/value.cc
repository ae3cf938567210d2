// Value: typed access, deep equality and the total order that indexes sort by.
#include "snapstore/value.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <ostream>
#include <string>

namespace snapstore {

std::string_view type_name(ValueType type) noexcept {
  switch (type) {
    case ValueType::kNull: return "null";
    case ValueType::kBool: return "bool";
    case ValueType::kInt: return "int64";
    case ValueType::kUint: return "uint64";
    case ValueType::kDouble: return "double";
    case ValueType::kString: return "string";
    case ValueType::kBinary: return "binary";
    case ValueType::kArray: return "array";
    case ValueType::kObject: return "object";
  }
  return "unknown";
}

namespace {

[[noreturn]] void throw_wrong_type(std::string_view accessor, std::string_view expected, const Value& got) {
  std::string message = "Value::";
  message.append(accessor).append(": expected ").append(expected).append(", got ").append(got.type_name());
  throw BadAccess(message);
}

}  // namespace

bool Value::as_bool() const {
  if (const auto* b = std::get_if<bool>(&data_)) return *b;
  throw_wrong_type("as_bool", "bool", *this);
}

std::int64_t Value::as_int() const {
  if (const auto* n = std::get_if<std::int64_t>(&data_)) return *n;
  throw_wrong_type("as_int", "int64", *this);
}

std::uint64_t Value::as_uint() const {
  if (const auto* u = std::get_if<std::uint64_t>(&data_)) return *u;
  if (const auto* n = std::get_if<std::int64_t>(&data_)) {
    if (*n >= 0) return static_cast<std::uint64_t>(*n);
    throw BadAccess("Value::as_uint: expected uint64, got negative int64 " + std::to_string(*n));
  }
  throw_wrong_type("as_uint", "uint64", *this);
}

double Value::as_double() const {
  if (const auto* d = std::get_if<double>(&data_)) return *d;
  throw_wrong_type("as_double", "double", *this);
}

double Value::to_double() const {
  switch (type()) {
    case ValueType::kInt: return static_cast<double>(std::get<std::int64_t>(data_));
    case ValueType::kUint: return static_cast<double>(std::get<std::uint64_t>(data_));
    case ValueType::kDouble: return std::get<double>(data_);
    default: throw_wrong_type("to_double", "number", *this);
  }
}

const std::string& Value::as_string() const {
  if (const auto* s = std::get_if<std::string>(&data_)) return *s;
  throw_wrong_type("as_string", "string", *this);
}

std::string& Value::as_string() {
  if (auto* s = std::get_if<std::string>(&data_)) return *s;
  throw_wrong_type("as_string", "string", *this);
}

const Binary& Value::as_binary() const {
  if (const auto* b = std::get_if<Binary>(&data_)) return *b;
  throw_wrong_type("as_binary", "binary", *this);
}

Binary& Value::as_binary() {
  if (auto* b = std::get_if<Binary>(&data_)) return *b;
  throw_wrong_type("as_binary", "binary", *this);
}

const Array& Value::as_array() const {
  if (const auto* a = std::get_if<Array>(&data_)) return *a;
  throw_wrong_type("as_array", "array", *this);
}

Array& Value::as_array() {
  if (auto* a = std::get_if<Array>(&data_)) return *a;
  throw_wrong_type("as_array", "array", *this);
}

const Object& Value::as_object() const {
  if (const auto* o = std::get_if<Object>(&data_)) return *o;
  throw_wrong_type("as_object", "object", *this);
}

Object& Value::as_object() {
  if (auto* o = std::get_if<Object>(&data_)) return *o;
  throw_wrong_type("as_object", "object", *this);
}

const Value* Value::find(std::string_view field) const noexcept {
  const auto* object = std::get_if<Object>(&data_);
  if (object == nullptr) return nullptr;
  auto it = object->find(field);
  return it == object->end() ? nullptr : &it->second;
}

const Value& Value::at(std::string_view field) const {
  const auto* object = std::get_if<Object>(&data_);
  if (object == nullptr) throw_wrong_type("at", "object", *this);
  auto it = object->find(field);
  if (it == object->end()) {
    throw BadAccess("Value::at: no field \"" + std::string(field) + "\"");
  }
  return it->second;
}

Value& Value::operator[](std::string_view field) {
  if (is_null()) data_ = Object();
  auto* object = std::get_if<Object>(&data_);
  if (object == nullptr) throw_wrong_type("operator[]", "object", *this);
  auto it = object->lower_bound(field);
  if (it == object->end() || it->first != field) {
    it = object->emplace_hint(it, std::string(field), Value());
  }
  return it->second;
}

const Value& Value::at(std::size_t index) const {
  const auto* array = std::get_if<Array>(&data_);
  if (array == nullptr) throw_wrong_type("at", "array", *this);
  if (index >= array->size()) {
    throw BadAccess("Value::at: index " + std::to_string(index) + " out of range (size " +
                    std::to_string(array->size()) + ")");
  }
  return (*array)[index];
}

std::size_t Value::size() const noexcept {
  switch (type()) {
    case ValueType::kString: return std::get<std::string>(data_).size();
    case ValueType::kBinary: return std::get<Binary>(data_).bytes.size();
    case ValueType::kArray: return std::get<Array>(data_).size();
    case ValueType::kObject: return std::get<Object>(data_).size();
    default: return 0;
  }
}

bool operator==(const Value& a, const Value& b) noexcept {
  if (a.data_.index() != b.data_.index()) return false;
  if (const auto* x = std::get_if<double>(&a.data_)) {
    const double y = std::get<double>(b.data_);
    return *x == y || (std::isnan(*x) && std::isnan(y));
  }
  // Every other alternative's == is structural; Array and Object recurse here.
  return a.data_ == b.data_;
}

namespace {

// The classes of the total order, in order; numbers of all kinds share one.
int class_rank(ValueType type) noexcept {
  switch (type) {
    case ValueType::kNull: return 0;
    case ValueType::kBool: return 1;
    case ValueType::kInt:
    case ValueType::kUint:
    case ValueType::kDouble: return 2;
    case ValueType::kString: return 3;
    case ValueType::kBinary: return 4;
    case ValueType::kArray: return 5;
    case ValueType::kObject: return 6;
  }
  return 7;
}

template <typename T>
int three_way(const T& a, const T& b) noexcept {
  return a < b ? -1 : (b < a ? 1 : 0);
}

int compare_bytes(const void* a, std::size_t a_size, const void* b, std::size_t b_size) noexcept {
  const std::size_t common = std::min(a_size, b_size);
  if (common > 0) {
    const int c = std::memcmp(a, b, common);
    if (c != 0) return c < 0 ? -1 : 1;
  }
  return three_way(a_size, b_size);
}

// 2^63 and 2^64 are exact doubles; every double in [-2^63, 2^63) truncates to
// an int64 exactly, every double in [0, 2^64) to a uint64.
constexpr double kTwoTo63 = 9223372036854775808.0;
constexpr double kTwoTo64 = 18446744073709551616.0;

// Compares an integer i with the non-NaN double d by exact value, given t, the
// integer d truncates to: i < t means i <= t-1 < d, i > t means i >= t+1 > d,
// and for i == t the fraction d - t decides.
template <typename Int>
int compare_int_with_truncated(Int i, Int t, double d) noexcept {
  if (i != t) return i < t ? -1 : 1;
  const double whole = std::trunc(d);
  return d > whole ? -1 : (d < whole ? 1 : 0);
}

int compare_int_double(std::int64_t i, double d) noexcept {
  if (std::isnan(d)) return -1;
  if (d < -kTwoTo63) return 1;
  if (d >= kTwoTo63) return -1;
  return compare_int_with_truncated(i, static_cast<std::int64_t>(d), d);
}

int compare_uint_double(std::uint64_t u, double d) noexcept {
  if (std::isnan(d)) return -1;
  if (d < 0) return 1;
  if (d >= kTwoTo64) return -1;
  return compare_int_with_truncated(u, static_cast<std::uint64_t>(d), d);
}

int compare_int_uint(std::int64_t i, std::uint64_t u) noexcept {
  if (i < 0) return -1;
  return three_way(static_cast<std::uint64_t>(i), u);
}

int compare_doubles(double a, double b) noexcept {
  const bool a_nan = std::isnan(a);
  const bool b_nan = std::isnan(b);
  if (a_nan || b_nan) return three_way(a_nan, b_nan);
  return three_way(a, b);  // -0.0 == 0.0 here, as wanted
}

int compare_numbers(const Value& a, const Value& b) noexcept {
  switch (a.type()) {
    case ValueType::kInt: {
      const std::int64_t x = a.as_int();
      if (b.is_int()) return three_way(x, b.as_int());
      if (b.is_uint()) return compare_int_uint(x, b.as_uint());
      return compare_int_double(x, b.as_double());
    }
    case ValueType::kUint: {
      const std::uint64_t x = a.as_uint();
      if (b.is_int()) return -compare_int_uint(b.as_int(), x);
      if (b.is_uint()) return three_way(x, b.as_uint());
      return compare_uint_double(x, b.as_double());
    }
    default: {
      const double x = a.as_double();
      if (b.is_int()) return -compare_int_double(b.as_int(), x);
      if (b.is_uint()) return -compare_uint_double(b.as_uint(), x);
      return compare_doubles(x, b.as_double());
    }
  }
}

}  // namespace

// The accessors used below cannot throw: each is guarded by a type check.
int compare(const Value& a, const Value& b) noexcept {
  const int rank_a = class_rank(a.type());
  const int rank_b = class_rank(b.type());
  if (rank_a != rank_b) return rank_a < rank_b ? -1 : 1;
  switch (a.type()) {
    case ValueType::kNull: return 0;
    case ValueType::kBool: return three_way(a.as_bool(), b.as_bool());
    case ValueType::kInt:
    case ValueType::kUint:
    case ValueType::kDouble: return compare_numbers(a, b);
    case ValueType::kString: {
      const std::string& x = a.as_string();
      const std::string& y = b.as_string();
      return compare_bytes(x.data(), x.size(), y.data(), y.size());
    }
    case ValueType::kBinary: {
      const auto& x = a.as_binary().bytes;
      const auto& y = b.as_binary().bytes;
      return compare_bytes(x.data(), x.size(), y.data(), y.size());
    }
    case ValueType::kArray: {
      const Array& x = a.as_array();
      const Array& y = b.as_array();
      const std::size_t common = std::min(x.size(), y.size());
      for (std::size_t i = 0; i < common; ++i) {
        if (const int c = compare(x[i], y[i]); c != 0) return c;
      }
      return three_way(x.size(), y.size());
    }
    case ValueType::kObject: {
      const Object& x = a.as_object();
      const Object& y = b.as_object();
      auto xi = x.begin();
      auto yi = y.begin();
      for (; xi != x.end() && yi != y.end(); ++xi, ++yi) {
        const int key = compare_bytes(xi->first.data(), xi->first.size(), yi->first.data(), yi->first.size());
        if (key != 0) return key;
        if (const int c = compare(xi->second, yi->second); c != 0) return c;
      }
      return three_way(x.size(), y.size());
    }
  }
  return 0;
}

std::size_t nesting_depth(const Value& v) noexcept {
  std::size_t deepest = 0;
  if (v.is_array()) {
    for (const Value& element : v.as_array()) deepest = std::max(deepest, nesting_depth(element));
    return deepest + 1;
  }
  if (v.is_object()) {
    for (const auto& [name, field] : v.as_object()) deepest = std::max(deepest, nesting_depth(field));
    return deepest + 1;
  }
  return 0;
}

std::ostream& operator<<(std::ostream& os, const Value& v) { return os << to_json(v); }

}  // namespace snapstore
