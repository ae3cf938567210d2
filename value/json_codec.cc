// JSON text for Values (value.h: to_json, from_json). Output comes from a small
// writer of our own, so that doubles keep a fraction or exponent and read back
// as doubles. Input goes through nlohmann-json's SAX parser, which is iterative;
// the builder here keeps containers on an explicit stack and stops at
// max_depth, so deep input costs neither stack nor unbounded memory.
#include "snapstore/value.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <exception>
#include <iterator>
#include <limits>
#include <new>
#include <string>
#include <utility>
#include <vector>

namespace snapstore {

namespace {

// The names of the single-field objects that stand for values JSON lacks.
constexpr std::string_view kBinaryName = "$binary";
constexpr std::string_view kDoubleName = "$double";
constexpr std::string_view kStringName = "$string";
constexpr std::string_view kObjectName = "$object";

bool is_reserved_name(std::string_view name) {
  return name == kBinaryName || name == kDoubleName || name == kStringName || name == kObjectName;
}

// Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong forms,
// no surrogates, nothing above U+10FFFF), or 0 when there is none.
std::size_t utf8_sequence_length(const unsigned char* p, std::size_t remaining) {
  const unsigned char lead = p[0];
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  std::uint32_t code_point = 0;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
    code_point = lead & 0x1fu;
  } else if ((lead & 0xf0) == 0xe0) {
    length = 3;
    code_point = lead & 0x0fu;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    code_point = lead & 0x07u;
  } else {
    return 0;
  }
  if (remaining < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    if ((p[i] & 0xc0) != 0x80) return 0;
    code_point = (code_point << 6) | (p[i] & 0x3fu);
  }
  if (length == 3 && (code_point < 0x800 || (code_point >= 0xd800 && code_point <= 0xdfff))) return 0;
  if (length == 4 && (code_point < 0x10000 || code_point > 0x10ffff)) return 0;
  return length;
}

bool is_valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t i = 0;
  while (i < s.size()) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    const std::size_t length = utf8_sequence_length(p + i, s.size() - i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

constexpr char kBase64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(const unsigned char* data, std::size_t size) {
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const std::uint32_t n = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
    out += kBase64Alphabet[(n >> 18) & 63];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += kBase64Alphabet[(n >> 6) & 63];
    out += kBase64Alphabet[n & 63];
  }
  if (const std::size_t rest = size - i; rest > 0) {
    std::uint32_t n = std::uint32_t{data[i]} << 16;
    if (rest == 2) n |= std::uint32_t{data[i + 1]} << 8;
    out += kBase64Alphabet[(n >> 18) & 63];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += rest == 2 ? kBase64Alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

int base64_digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Strict standard base64 with padding; false on anything else, including
// non-zero bits in the padding, so that each byte string has one spelling.
bool base64_decode(std::string_view text, std::string& out) {
  if (text.size() % 4 != 0) return false;
  out.clear();
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const std::size_t padding = last ? (text[i + 3] == '=' ? (text[i + 2] == '=' ? 2 : 1) : 0) : 0;
    std::uint32_t n = 0;
    for (std::size_t k = 0; k < 4 - padding; ++k) {
      const int digit = base64_digit(text[i + k]);
      if (digit < 0) return false;
      n = (n << 6) | static_cast<std::uint32_t>(digit);
    }
    n <<= 6 * padding;
    out += static_cast<char>((n >> 16) & 0xff);
    if (padding < 2) out += static_cast<char>((n >> 8) & 0xff);
    if (padding < 1) out += static_cast<char>(n & 0xff);
    if ((padding == 1 && (n & 0xff) != 0) || (padding == 2 && (n & 0xffff) != 0)) return false;
  }
  return true;
}

class JsonWriter {
 public:
  explicit JsonWriter(int indent) : indent_(indent) {}

  std::string take() { return std::move(out_); }

  void value(const Value& v, std::size_t level) {
    switch (v.type()) {
      case ValueType::kNull: out_ += "null"; return;
      case ValueType::kBool: out_ += v.as_bool() ? "true" : "false"; return;
      case ValueType::kInt: integer(v.as_int()); return;
      case ValueType::kUint: integer(v.as_uint()); return;
      case ValueType::kDouble: floating(v.as_double(), level); return;
      case ValueType::kString: {
        const std::string& s = v.as_string();
        if (is_valid_utf8(s)) {
          quoted(s);
        } else {
          special(kStringName, base64_encode(reinterpret_cast<const unsigned char*>(s.data()), s.size()), level);
        }
        return;
      }
      case ValueType::kBinary: {
        const auto& bytes = v.as_binary().bytes;
        special(kBinaryName, base64_encode(bytes.data(), bytes.size()), level);
        return;
      }
      case ValueType::kArray: array(v.as_array(), level); return;
      case ValueType::kObject: object(v.as_object(), level); return;
    }
  }

 private:
  template <typename Int>
  void integer(Int n) {
    char buf[24];
    const auto result = std::to_chars(buf, buf + sizeof buf, n);
    out_.append(buf, result.ptr);
  }

  void floating(double d, std::size_t level) {
    if (std::isnan(d)) return special(kDoubleName, "NaN", level);
    if (std::isinf(d)) return special(kDoubleName, d > 0 ? "Infinity" : "-Infinity", level);
    char buf[32];
    const auto result = std::to_chars(buf, buf + sizeof buf, d);  // shortest text that reads back exactly
    const std::string_view text(buf, static_cast<std::size_t>(result.ptr - buf));
    out_ += text;
    // "1" would read back as an integer; "1.0" and "1e+20" read back as doubles.
    if (text.find_first_of(".e") == std::string_view::npos) out_ += ".0";
  }

  void array(const Array& array, std::size_t level) {
    if (array.empty()) {
      out_ += "[]";
      return;
    }
    out_ += '[';
    bool first = true;
    for (const Value& element : array) {
      if (!first) out_ += ',';
      first = false;
      newline(level + 1);
      value(element, level + 1);
    }
    newline(level);
    out_ += ']';
  }

  // An object that looks like one of the special forms is wrapped in
  // {"$object": ...} so that it reads back as an object.
  void object(const Object& object, std::size_t level) {
    if (object.size() == 1 && is_reserved_name(object.begin()->first)) {
      out_ += '{';
      newline(level + 1);
      key(kObjectName);
      fields(object, level + 1);
      newline(level);
      out_ += '}';
      return;
    }
    fields(object, level);
  }

  void fields(const Object& object, std::size_t level) {
    if (object.empty()) {
      out_ += "{}";
      return;
    }
    out_ += '{';
    bool first = true;
    for (const auto& [name, field] : object) {
      if (!first) out_ += ',';
      first = false;
      newline(level + 1);
      key(name);
      value(field, level + 1);
    }
    newline(level);
    out_ += '}';
  }

  void special(std::string_view name, std::string_view text, std::size_t level) {
    out_ += '{';
    newline(level + 1);
    key(name);
    quoted(text);
    newline(level);
    out_ += '}';
  }

  // JSON has no way to carry a field name that is not UTF-8; each byte that
  // is not part of a well-formed sequence becomes U+FFFD (lossy).
  void key(std::string_view name) {
    if (is_valid_utf8(name)) {
      quoted(name);
    } else {
      std::string repaired;
      const auto* p = reinterpret_cast<const unsigned char*>(name.data());
      for (std::size_t i = 0; i < name.size();) {
        const std::size_t length = utf8_sequence_length(p + i, name.size() - i);
        if (length == 0) {
          repaired += "\xef\xbf\xbd";
          ++i;
        } else {
          repaired.append(name.substr(i, length));
          i += length;
        }
      }
      quoted(repaired);
    }
    out_ += ':';
    if (indent_ >= 0) out_ += ' ';
  }

  void quoted(std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    out_ += '"';
    std::size_t run_start = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      out_.append(s.substr(run_start, i - run_start));
      run_start = i + 1;
      switch (c) {
        case '"': out_ += "\\\""; break;
        case '\\': out_ += "\\\\"; break;
        case '\b': out_ += "\\b"; break;
        case '\f': out_ += "\\f"; break;
        case '\n': out_ += "\\n"; break;
        case '\r': out_ += "\\r"; break;
        case '\t': out_ += "\\t"; break;
        default:
          out_ += "\\u00";
          out_ += kHex[c >> 4];
          out_ += kHex[c & 15];
      }
    }
    out_.append(s.substr(run_start));
    out_ += '"';
  }

  void newline(std::size_t level) {
    if (indent_ < 0) return;
    out_ += '\n';
    out_.append(level * static_cast<std::size_t>(indent_), ' ');
  }

  int indent_;
  std::string out_;
};

// A char iterator that publishes how far nlohmann's lexer has read, so that
// errors the builder detects can name a byte offset too.
class TrackingIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  TrackingIterator(const char* position, const char** furthest) : position_(position), furthest_(furthest) {}

  reference operator*() const { return *position_; }
  TrackingIterator& operator++() {
    *furthest_ = ++position_;
    return *this;
  }
  TrackingIterator operator++(int) {
    TrackingIterator before = *this;
    ++*this;
    return before;
  }
  friend bool operator==(const TrackingIterator& a, const TrackingIterator& b) { return a.position_ == b.position_; }

 private:
  const char* position_;
  const char** furthest_;
};

using Json = nlohmann::json;

// nlohmann's SAX handler: builds the Value, enforces max_depth, decodes the
// special single-field objects.
//
// Whether {"$binary": ...} and friends are special depends on the parent:
// directly inside a wrapper {"$object": {...}} the inner object is taken
// verbatim. So an object that is the value of a "$object" field is kept
// unresolved until its parent closes; resolve() then decides, walking down
// chains of wrappers iteratively.
class JsonBuilder {
 public:
  JsonBuilder(const char* begin, const char* const* furthest, std::size_t max_depth)
      : begin_(begin), furthest_(furthest), max_depth_(max_depth) {}

  bool null() { return emit(Value()); }
  bool boolean(bool b) { return emit(Value(b)); }
  bool number_integer(Json::number_integer_t n) { return emit(Value(n)); }
  bool number_unsigned(Json::number_unsigned_t n) { return emit(Value(n)); }
  bool number_float(Json::number_float_t d, const Json::string_t& text) {
    // nlohmann turns an integer literal outside int64 and uint64 into a
    // double, silently rounding it; a literal without fraction or exponent
    // is refused instead, naming where it is.
    if (text.find_first_of(".eE") == std::string::npos) {
      return fail("integer " + text + (path().empty() ? std::string() : " in field " + path()) +
                      " is outside the 64-bit range (-2^63 to 2^64-1); write it as a string, or as a "
                      "double with a fraction or exponent",
                  offset() >= text.size() ? offset() - text.size() : 0);
    }
    return emit(Value(d));
  }
  bool string(Json::string_t& s) { return emit(Value(std::move(s))); }
  bool binary(Json::binary_t& /*bytes*/) { return fail("binary values are not JSON", offset()); }

  bool start_object(std::size_t /*count*/) { return open(true); }
  bool key(Json::string_t& name) {
    frames_.back().key = std::move(name);
    return true;
  }
  bool end_object() {
    Frame frame = std::move(frames_.back());
    frames_.pop_back();
    Value v(std::move(frame.object));
    Object& object = v.as_object();
    const bool wrapper_shaped =
        object.size() == 1 && object.begin()->first == kObjectName && object.begin()->second.is_object();
    if (!wrapper_shaped) {
      // Not a wrapper, so its "$object" field (left unresolved) is an ordinary value.
      auto it = object.find(kObjectName);
      if (it != object.end() && it->second.is_object() && !resolve(it->second, frame.start)) return false;
    }
    if (!frame.deferred && !resolve(v, frame.start)) return false;
    return emit(std::move(v));
  }

  bool start_array(std::size_t /*count*/) { return open(false); }
  bool end_array() {
    Array array = std::move(frames_.back().array);
    frames_.pop_back();
    return emit(Value(std::move(array)));
  }

  bool parse_error(std::size_t position, const std::string& /*last_token*/, const Json::exception& e) {
    // position counts the bytes read, the offending one included.
    return fail(reason_from(e.what()), position > 0 ? position - 1 : 0);
  }

  const std::string& error() const { return error_; }
  std::size_t error_offset() const { return error_offset_; }
  Value take_result() { return std::move(result_); }

 private:
  struct Frame {
    bool is_object = false;
    bool deferred = false;  // the value of a "$object" field: resolved by the parent
    std::size_t start = 0;  // offset of the opening bracket
    Array array;
    Object object;
    std::string key;
  };

  std::size_t offset() const { return static_cast<std::size_t>(*furthest_ - begin_); }

  // Where the value being read sits: "address.zip", "tags[2]", "\"x\"" for
  // a top-level field; empty at the top level.
  std::string path() const {
    std::string out;
    for (const Frame& frame : frames_) {
      if (frame.is_object) {
        if (!out.empty()) out += '.';
        out += frame.key;
      } else {
        out += '[' + std::to_string(frame.array.size()) + ']';
      }
    }
    return out.empty() ? out : '"' + out + '"';
  }

  bool open(bool is_object) {
    const std::size_t start = offset() > 0 ? offset() - 1 : 0;  // the bracket was the last byte read
    if (frames_.size() + 1 > max_depth_) {
      return fail("nesting deeper than " + std::to_string(max_depth_) + " levels", start);
    }
    const bool deferred =
        is_object && !frames_.empty() && frames_.back().is_object && frames_.back().key == kObjectName;
    Frame& frame = frames_.emplace_back();
    frame.is_object = is_object;
    frame.deferred = deferred;
    frame.start = start;
    return true;
  }

  bool emit(Value v) {
    if (frames_.empty()) {
      result_ = std::move(v);
      return true;
    }
    Frame& frame = frames_.back();
    if (!frame.is_object) {
      frame.array.push_back(std::move(v));
      return true;
    }
    if (!frame.object.try_emplace(frame.key, std::move(v)).second) {
      return fail("duplicate key \"" + frame.key + "\"", offset());
    }
    return true;
  }

  // Decodes the object in `slot` as an ordinary value would be: a wrapper
  // becomes its contents taken verbatim, a special form becomes its value.
  // Inside verbatim contents, a "$object" field holding an object was left
  // unresolved and is decoded in turn.
  bool resolve(Value& slot, std::size_t at) {
    Value* current = &slot;
    bool verbatim = false;
    while (true) {
      Object& object = current->as_object();
      if (object.size() != 1) return true;
      auto& [name, field] = *object.begin();
      if (name == kObjectName && field.is_object()) {
        if (verbatim) {
          current = &field;
        } else {
          Value contents = std::move(field);
          *current = std::move(contents);
        }
        verbatim = !verbatim;
        continue;
      }
      if (verbatim || !field.is_string()) return true;
      return decode_special(*current, name, field.as_string(), at);
    }
  }

  bool decode_special(Value& slot, std::string_view name, const std::string& text, std::size_t at) {
    if (name == kDoubleName) {
      double d = 0;
      if (text == "NaN") {
        d = std::numeric_limits<double>::quiet_NaN();
      } else if (text == "Infinity") {
        d = std::numeric_limits<double>::infinity();
      } else if (text == "-Infinity") {
        d = -std::numeric_limits<double>::infinity();
      } else {
        return fail("\"$double\" must be \"NaN\", \"Infinity\" or \"-Infinity\"", at);
      }
      slot = Value(d);
      return true;
    }
    if (name == kBinaryName || name == kStringName) {
      std::string bytes;
      if (!base64_decode(text, bytes)) return fail("\"" + std::string(name) + "\" is not valid base64", at);
      if (name == kStringName) {
        slot = Value(std::move(bytes));
      } else {
        slot = Value(Binary(std::vector<std::uint8_t>(bytes.begin(), bytes.end())));
      }
    }
    return true;
  }

  // "[json.exception.parse_error.101] parse error at line 1, column 4: syntax
  // error ..." becomes "syntax error ..."; we name the byte offset ourselves.
  static std::string reason_from(std::string_view what) {
    if (what.starts_with("[json.exception.")) {
      if (const auto end = what.find("] "); end != std::string_view::npos) what.remove_prefix(end + 2);
    }
    if (what.starts_with("parse error")) {
      if (const auto colon = what.find(": "); colon != std::string_view::npos) what.remove_prefix(colon + 2);
    }
    return std::string(what);
  }

  bool fail(std::string reason, std::size_t at) {
    if (error_.empty()) {
      error_ = std::move(reason);
      error_offset_ = at;
    }
    return false;
  }

  const char* begin_;
  const char* const* furthest_;
  std::size_t max_depth_;
  std::vector<Frame> frames_;
  Value result_;
  std::string error_;
  std::size_t error_offset_ = 0;
};

}  // namespace

std::string to_json(const Value& v, int indent) {
  JsonWriter writer(indent);
  writer.value(v, 0);
  return writer.take();
}

Result<Value> from_json(std::string_view text, std::size_t max_depth) {
  const char* furthest = text.data();
  JsonBuilder builder(text.data(), &furthest, max_depth);
  try {
    const bool ok = Json::sax_parse(TrackingIterator(text.data(), &furthest),
                                    TrackingIterator(text.data() + text.size(), &furthest), &builder);
    if (!ok) {
      const std::string& reason = builder.error().empty() ? std::string("malformed input") : builder.error();
      return Status::invalid_argument("JSON: " + reason + " at byte " + std::to_string(builder.error_offset()));
    }
  } catch (const std::bad_alloc&) {
    return Status::invalid_argument("JSON: out of memory while parsing " + std::to_string(text.size()) + " bytes");
  } catch (const std::exception& e) {
    return Status::invalid_argument(std::string("JSON: ") + e.what());
  }
  return builder.take_result();
}

}  // namespace snapstore
