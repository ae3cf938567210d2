// Bounded parsing of untrusted msgpack: the one way snapstore reads msgpack it
// did not just build, shared by the document codec (value/), the WAL payload
// codec (wal/) and the mirror's index definitions (recovery/).
//
// msgpack-c's event parser (msgpack::parse) does the byte work and calls a
// visitor; it allocates nothing sized by a declared length. msgpack::unpack
// does: it reserves each container's declared count up front, so a few
// checksum-valid bytes can ask for gigabytes. Here every allocation follows
// elements actually present, each of which takes at least one input byte.
//
// Two ways to use it:
//  - derive a visitor from BoundedVisitor and run parse_bounded(): the shared
//    rules (nesting limit, no ext values) and error messages; value/ builds
//    Values this way;
//  - parse_tree(): a flat tree of views into the input (at most 24 bytes per
//    input byte), for decoders that check a small grammar (WAL batches, index
//    field lists).
// Failures are Corruption "msgpack: <reason>" naming the byte offset.
//
// Thread safety: free functions and per-call objects without shared state.
#pragma once

#include <msgpack.hpp>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "snapstore/status.h"

namespace snapstore::codec {

// The base of every visitor handed to parse_bounded(). msgpack-c calls the
// visit_*/start_*/end_* members by name; a derived visitor defines the
// value events and calls enter_container()/leave_container() around each
// array and map.
class BoundedVisitor {
 public:
  explicit BoundedVisitor(std::size_t max_depth) : max_depth_(max_depth) {}

  bool visit_ext(const char* /*data*/, std::uint32_t /*size*/) { return fail("ext values are not supported"); }

  // msgpack-c's offsets here are unreliable (parsed_offset can be -1);
  // parse_bounded() names the byte from where the parse stopped.
  void parse_error(std::size_t /*parsed_offset*/, std::size_t /*error_offset*/) { invalid_byte_ = true; }
  void insufficient_bytes(std::size_t /*parsed_offset*/, std::size_t /*error_offset*/) { error_ = "truncated input"; }

  bool invalid_byte() const { return invalid_byte_; }
  const std::string& error() const { return error_; }

 protected:
  // False, with the reason kept, when one more container would nest deeper
  // than max_depth (a top-level container is depth 1).
  bool enter_container();
  void leave_container() { --depth_; }
  bool fail(std::string reason) {
    error_ = std::move(reason);
    return false;
  }

 private:
  std::size_t max_depth_;
  std::size_t depth_ = 0;
  bool invalid_byte_ = false;
  std::string error_;
};

// The Corruption statuses parse_bounded() returns: "msgpack: <reason>".
Status corruption(std::string_view reason);
// Why the parse stopped at `offset`: an invalid type byte, or the visitor's reason.
Status parse_failure(std::string_view bytes, std::size_t offset, const BoundedVisitor& visitor);
// One value ended at `offset`, before the end of `bytes`.
Status trailing_bytes(std::string_view bytes, std::size_t offset);

// Runs msgpack-c's parser over `bytes`, which must hold exactly one value.
// ok when the visitor saw all of it; otherwise Corruption naming why and where.
template <typename Visitor>
Status parse_bounded(std::string_view bytes, Visitor& visitor) {
  static_assert(std::is_base_of_v<BoundedVisitor, Visitor>);
  try {
    std::size_t offset = 0;
    if (!msgpack::parse(bytes.data(), bytes.size(), offset, visitor)) return parse_failure(bytes, offset, visitor);
    if (offset != bytes.size()) return trailing_bytes(bytes, offset);
    return Status::ok();
  } catch (const std::bad_alloc&) {
    return corruption("out of memory while decoding " + std::to_string(bytes.size()) + " bytes");
  } catch (const std::exception& e) {
    return corruption(e.what());
  }
}

enum class MsgpackKind : std::uint8_t { kNil, kBool, kUint, kNegativeInt, kFloat, kStr, kBin, kArray, kMap };

class MsgpackTree;

// One value of a MsgpackTree. Cheap to copy; valid while the tree and the
// parsed input live.
class MsgpackRef {
 public:
  MsgpackKind kind() const;
  // Elements of an array, key/value pairs of a map; 0 for anything else.
  std::uint32_t count() const;
  bool is_array(std::uint32_t n) const { return kind() == MsgpackKind::kArray && count() == n; }

  // Each returns false, leaving `out` alone, when the value is of another kind.
  bool get_uint(std::uint64_t& out) const;  // non-negative integers only
  bool get_str(std::string_view& out) const;
  bool get_bin(std::string_view& out) const;

  // The direct children of an array or map (a map's as key, value, key, ...).
  std::vector<MsgpackRef> children() const;
  // Without allocating: the first child of an array or map with count() > 0,
  // and the value after this one in its container. Step at most as many
  // times as the container has children; only those refs may be read.
  MsgpackRef first_child() const { return MsgpackRef(tree_, index_ + 1); }
  MsgpackRef next_sibling() const;

 private:
  friend class MsgpackTree;
  MsgpackRef(const MsgpackTree* tree, std::uint32_t index) : tree_(tree), index_(index) {}
  const MsgpackTree* tree_;
  std::uint32_t index_;
};

// Values in pre-order; each node knows where its subtree ends, so children
// are found by skipping, without per-container allocation while parsing.
class MsgpackTree {
 public:
  struct Node {
    union {
      std::uint64_t uint = 0;
      std::int64_t negative_int;
      double real;
      bool boolean;
      const char* data;  // str, bin: into the parsed input
    };
    std::uint32_t length = 0;  // str, bin: bytes; array: elements; map: pairs
    std::uint32_t end = 0;     // index one past this node's subtree
    MsgpackKind kind = MsgpackKind::kNil;
  };

  MsgpackRef root() const { return MsgpackRef(this, 0); }
  std::size_t size() const { return nodes_.size(); }
  const Node& node(std::uint32_t index) const { return nodes_[index]; }

 private:
  friend class TreeVisitor;
  std::vector<Node> nodes_;
};
static_assert(sizeof(MsgpackTree::Node) <= 24, "parse_tree() promises at most 24 bytes per input byte");

// Parses exactly one value spanning all of `bytes` (at most 4 GiB), with
// containers nested at most `max_depth` deep. Strings and binaries in the
// tree point into `bytes`, which must outlive it.
Result<MsgpackTree> parse_tree(std::string_view bytes, std::size_t max_depth);

}  // namespace snapstore::codec
