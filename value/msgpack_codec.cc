// The msgpack encoding of Values (see msgpack_codec.h). Encoding goes through
// msgpack-c's packer, into the caller's string or, for documents, into a
// per-thread scratch string first; decoding runs the bounded
// parser (codec/bounded_msgpack.h) with a visitor that builds the Value
// directly, so there is no intermediate tree and no allocation sized by
// untrusted headers.
#include "value/msgpack_codec.h"

#include <msgpack.hpp>

#include "codec/bounded_msgpack.h"
#include "value/msgpack_scan.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

namespace snapstore::value {

namespace {

constexpr std::size_t kMaxLength = std::numeric_limits<std::uint32_t>::max();

// What msgpack::packer writes to: the caller's string from `start` on,
// through a cursor rather than append(), whose call and checks cost more
// than the one- to nine-byte writes the packer makes. Whatever the string
// already holds past `start` is room to write over; when that runs out it
// grows into its capacity, and past that as std::string grows (doubling).
// The string keeps its size: the encoding ends at used().
class StringSink {
 public:
  StringSink(std::string& out, std::size_t start) : out_(&out) { point_at(start); }

  // Inlined into the packer: its writes have constant sizes, so the copy
  // becomes a store or two.
  [[gnu::always_inline]] void write(const char* data, std::size_t size) {
    if (size == 0) return;  // an empty string's body may come with a null pointer
    if (size > static_cast<std::size_t>(end_ - cursor_)) [[unlikely]] grow(size);
    std::memcpy(cursor_, data, size);
    cursor_ += size;
  }
  std::size_t used() const { return static_cast<std::size_t>(cursor_ - out_->data()); }

 private:
  void point_at(std::size_t used) {
    cursor_ = out_->data() + used;
    end_ = out_->data() + out_->size();
  }
  [[gnu::noinline]] void grow(std::size_t size) {
    const std::size_t written = used();
    out_->resize(std::max(written + size, out_->capacity()));
    point_at(written);
  }

  std::string* out_;
  char* cursor_ = nullptr;
  char* end_ = nullptr;
};

// Internal calls return bool and keep the error aside: a Status per value
// (it holds a string) costs more than the packing itself.
class Encoder {
 public:
  // Writes at `start` of `out`, which may already hold room for the
  // encoding; the encoding ends at end(), and `out` is not cut there.
  Encoder(std::string& out, std::size_t start, std::size_t max_depth)
      : sink_(out, start), packer_(sink_), max_depth_(max_depth) {}

  Status encode_value(const Value& v) { return status(encode(v, 0)); }
  Status encode_document(const Object& doc) { return status(encode_object(doc, 0)); }
  std::size_t end() const { return sink_.used(); }

 private:
  // `depth` is the number of containers enclosing v.
  bool encode(const Value& v, std::size_t depth) {
    switch (v.type()) {
      case ValueType::kNull: packer_.pack_nil(); return true;
      case ValueType::kBool:
        if (v.as_bool()) {
          packer_.pack_true();
        } else {
          packer_.pack_false();
        }
        return true;
      case ValueType::kInt: packer_.pack_int64(v.as_int()); return true;
      case ValueType::kUint: packer_.pack_uint64(v.as_uint()); return true;
      case ValueType::kDouble: write_float64(v.as_double()); return true;
      case ValueType::kString: return encode_string(v.as_string());
      case ValueType::kBinary: {
        const auto& bytes = v.as_binary().bytes;
        if (bytes.size() > kMaxLength) return too_long("binary", bytes.size());
        const auto size = static_cast<std::uint32_t>(bytes.size());
        packer_.pack_bin(size);
        packer_.pack_bin_body(reinterpret_cast<const char*>(bytes.data()), size);
        return true;
      }
      case ValueType::kArray: {
        const Array& array = v.as_array();
        if (depth + 1 > max_depth_) return too_deep();
        if (array.size() > kMaxLength) return too_long("array", array.size());
        packer_.pack_array(static_cast<std::uint32_t>(array.size()));
        for (const Value& element : array) {
          if (!encode(element, depth + 1)) return false;
        }
        return true;
      }
      case ValueType::kObject: return encode_object(v.as_object(), depth);
    }
    error_ = Status::invalid_document("unknown value type");
    return false;
  }

  bool encode_object(const Object& object, std::size_t depth) {
    if (depth + 1 > max_depth_) return too_deep();
    if (object.size() > kMaxLength) return too_long("object", object.size());
    packer_.pack_map(static_cast<std::uint32_t>(object.size()));
    for (const auto& [name, field] : object) {
      if (!encode_string(name) || !encode(field, depth + 1)) return false;
    }
    return true;
  }

  bool encode_string(const std::string& s) {
    if (s.size() > kMaxLength) return too_long("string", s.size());
    const auto size = static_cast<std::uint32_t>(s.size());
    packer_.pack_str(size);
    packer_.pack_str_body(s.data(), size);
    return true;
  }

  // Written by hand: msgpack-c 4.x's pack_double() stores integral doubles
  // (1.0) as integers, which would read back as int64 and break the promise
  // that doubles stay doubles. NaN is written as the one quiet NaN, so equal
  // Values always have equal bytes.
  void write_float64(double d) {
    std::uint64_t bits = 0x7ff8000000000000ULL;
    if (!std::isnan(d)) std::memcpy(&bits, &d, sizeof bits);
    char buf[9];
    buf[0] = static_cast<char>(0xcb);
    for (int i = 0; i < 8; ++i) buf[1 + i] = static_cast<char>(bits >> (56 - 8 * i));
    sink_.write(buf, sizeof buf);
  }

  Status status(bool encoded) { return encoded ? Status::ok() : std::move(error_); }

  bool too_deep() {
    error_ = Status::invalid_document("nesting deeper than " + std::to_string(max_depth_) + " levels");
    return false;
  }
  bool too_long(std::string_view what, std::size_t size) {
    error_ = Status::invalid_document(std::string(what) + " of " + std::to_string(size) +
                                      " elements or bytes exceeds the msgpack limit of 2^32-1");
    return false;
  }

  StringSink sink_;
  msgpack::packer<StringSink> packer_;
  std::size_t max_depth_;
  Status error_;
};

// Builds a Value from msgpack-c's parse events. Containers under
// construction live on an explicit stack (bounded by max_depth), so nothing
// recurses on input depth. Returning false stops the parse; the reason is
// kept in error().
class DecodeVisitor : public codec::BoundedVisitor {
 public:
  DecodeVisitor(std::size_t max_depth, std::size_t input_size)
      : BoundedVisitor(max_depth), reserve_budget_(input_size) {}

  bool visit_nil() { return emit(Value()); }
  bool visit_boolean(bool b) { return emit(Value(b)); }
  bool visit_positive_integer(std::uint64_t n) { return emit(Value(n)); }  // normalizes to int64 when it fits
  bool visit_negative_integer(std::int64_t n) { return emit(Value(n)); }
  bool visit_float32(float f) { return emit(Value(static_cast<double>(f))); }
  bool visit_float64(double d) { return emit(Value(d)); }
  bool visit_str(const char* data, std::uint32_t size) {
    if (in_key_) {
      frames_.back().key.assign(data, size);
      return true;
    }
    return emit(Value(std::string(data, size)));
  }
  bool visit_bin(const char* data, std::uint32_t size) {
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(data);
    return emit(Value(Binary(std::vector<std::uint8_t>(bytes, bytes + size))));
  }
  bool start_array(std::uint32_t count) {
    if (!open_container()) return false;
    Frame& frame = frames_.emplace_back();
    frame.array.reserve(take_reserve(count));
    return true;
  }
  bool start_array_item() { return true; }
  bool end_array_item() { return true; }
  bool end_array() {
    Array array = std::move(frames_.back().array);
    frames_.pop_back();
    leave_container();
    return emit(Value(std::move(array)));
  }

  bool start_map(std::uint32_t /*count*/) {
    if (!open_container()) return false;
    frames_.emplace_back().is_map = true;
    return true;
  }
  bool start_map_key() {
    in_key_ = true;
    return true;
  }
  bool end_map_key() {
    in_key_ = false;
    return true;
  }
  bool start_map_value() { return true; }
  bool end_map_value() { return true; }
  bool end_map() {
    Object object = std::move(frames_.back().object);
    frames_.pop_back();
    leave_container();
    return emit(Value(std::move(object)));
  }

  Value take_result() { return std::move(result_); }

 private:
  struct Frame {
    bool is_map = false;
    Array array;
    Object object;
    std::string key;
  };

  bool open_container() {
    if (in_key_) return fail("map key is not a string");
    return enter_container();
  }

  // A declared count is untrusted; every real element takes at least one
  // input byte, so reservations are capped by the input size in total.
  std::size_t take_reserve(std::uint32_t count) {
    const std::size_t n = std::min<std::size_t>(count, reserve_budget_);
    reserve_budget_ -= n;
    return n;
  }

  bool emit(Value v) {
    if (in_key_) return fail("map key is not a string");
    if (frames_.empty()) {
      result_ = std::move(v);
      return true;
    }
    Frame& frame = frames_.back();
    if (!frame.is_map) {
      frame.array.push_back(std::move(v));
      return true;
    }
    // Canonical input has sorted keys, so the end is the right hint;
    // try_emplace leaves the key intact when it is a duplicate.
    const std::size_t before = frame.object.size();
    frame.object.try_emplace(frame.object.end(), std::move(frame.key), std::move(v));
    if (frame.object.size() == before) return fail("duplicate map key \"" + frame.key + "\"");
    return true;
  }

  std::size_t reserve_budget_;
  bool in_key_ = false;
  std::vector<Frame> frames_;
  Value result_;
};

}  // namespace

Status encode_msgpack(const Value& v, std::string& out, std::size_t max_depth) {
  Encoder encoder(out, out.size(), max_depth);
  Status s = encoder.encode_value(v);
  out.resize(encoder.end());
  return s;
}

Status encode_msgpack(const Object& doc, std::string& out, std::size_t max_depth) {
  // Encoded once into this thread's scratch string, then copied: an empty
  // `out` gets one allocation of the exact size (a snapshot keeps it for
  // the document's lifetime) without a second walk of the document to
  // measure it first. The scratch keeps its full size between calls, so it
  // is never cleared or zero-filled again; past 1 MiB it is let go.
  thread_local std::string scratch;
  constexpr std::size_t kScratchKept = std::size_t{1} << 20;
  scratch.resize(scratch.capacity());  // a no-op but the first time
  Encoder encoder(scratch, 0, max_depth);
  Status s = encoder.encode_document(doc);
  if (s) out.append(scratch.data(), encoder.end());
  if (scratch.size() > kScratchKept) std::string().swap(scratch);
  return s;
}

Result<Value> decode_msgpack(std::string_view bytes, std::size_t max_depth) {
  DecodeVisitor visitor(max_depth, bytes.size());
  if (Status s = codec::parse_bounded(bytes, visitor); !s) return s;
  return visitor.take_result();
}

Result<Object> decode_document(std::string_view bytes, std::size_t max_depth) {
  Result<Value> decoded = decode_msgpack(bytes, max_depth);
  if (!decoded.is_ok()) return decoded.status();
  Value& v = decoded.value();
  if (!v.is_object()) {
    return Status::corruption("msgpack: document is not a map (got " + std::string(v.type_name()) + ")");
  }
  return std::move(v.as_object());
}

Status make_checked_document(std::string& bytes, std::size_t max_depth) {
  Status checked = scan::check_document(bytes, max_depth);
  if (checked) return checked;
  // Keys out of order are the one flaw a re-encode repairs; decoding
  // reports everything else (and repeated keys) in its own words.
  auto decoded = decode_document(bytes, max_depth);
  if (!decoded) return decoded.status();
  std::string encoded;
  if (Status s = encode_msgpack(*decoded, encoded, max_depth); !s) return Status::corruption(s.message());
  bytes = std::move(encoded);
  return Status::ok();
}

}  // namespace snapstore::value
