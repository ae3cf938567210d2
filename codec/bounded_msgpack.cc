// Bounded msgpack parsing (see bounded_msgpack.h).
#include "codec/bounded_msgpack.h"

#include <algorithm>
#include <limits>

namespace snapstore::codec {

bool BoundedVisitor::enter_container() {
  if (depth_ + 1 > max_depth_) return fail("nesting deeper than " + std::to_string(max_depth_) + " levels");
  ++depth_;
  return true;
}

Status corruption(std::string_view reason) { return Status::corruption("msgpack: " + std::string(reason)); }

Status parse_failure(std::string_view bytes, std::size_t offset, const BoundedVisitor& visitor) {
  if (visitor.invalid_byte() && offset < bytes.size()) {
    static constexpr char kHex[] = "0123456789abcdef";
    const auto byte = static_cast<unsigned char>(bytes[offset]);
    return corruption(std::string("invalid type byte 0x") + kHex[byte >> 4] + kHex[byte & 15] + " at offset " +
                      std::to_string(offset));
  }
  const std::string reason = visitor.error().empty() ? std::string("malformed input") : visitor.error();
  return corruption(reason + " (stopped at offset " + std::to_string(offset) + " of " + std::to_string(bytes.size()) +
                    ")");
}

Status trailing_bytes(std::string_view bytes, std::size_t offset) {
  return corruption(std::to_string(bytes.size() - offset) + " trailing bytes after the value at offset " +
                    std::to_string(offset));
}

// Appends one node per value. While a container is open its `end` holds the
// index of the container enclosing it, so the open containers form a stack
// threaded through the nodes and parsing allocates nothing but the nodes;
// `end` gets its real value when the container closes.
class TreeVisitor : public BoundedVisitor {
 public:
  // A small first reservation (a one-operation WAL payload has 8 nodes)
  // saves the early regrowths; it is capped by the input size like the rest.
  TreeVisitor(MsgpackTree& tree, std::size_t max_depth, std::size_t input_size)
      : BoundedVisitor(max_depth), nodes_(tree.nodes_) {
    nodes_.reserve(std::min<std::size_t>(input_size, 32));
  }

  bool visit_nil() {
    leaf(MsgpackKind::kNil);
    return true;
  }
  bool visit_boolean(bool b) {
    leaf(MsgpackKind::kBool).boolean = b;
    return true;
  }
  bool visit_positive_integer(std::uint64_t n) {
    leaf(MsgpackKind::kUint).uint = n;
    return true;
  }
  bool visit_negative_integer(std::int64_t n) {
    leaf(MsgpackKind::kNegativeInt).negative_int = n;
    return true;
  }
  bool visit_float32(float f) {
    leaf(MsgpackKind::kFloat).real = f;
    return true;
  }
  bool visit_float64(double d) {
    leaf(MsgpackKind::kFloat).real = d;
    return true;
  }
  bool visit_str(const char* data, std::uint32_t size) {
    bytes(MsgpackKind::kStr, data, size);
    return true;
  }
  bool visit_bin(const char* data, std::uint32_t size) {
    bytes(MsgpackKind::kBin, data, size);
    return true;
  }

  bool start_array(std::uint32_t count) { return open(MsgpackKind::kArray, count); }
  bool start_array_item() { return true; }
  bool end_array_item() { return true; }
  bool end_array() { return close(); }
  bool start_map(std::uint32_t count) { return open(MsgpackKind::kMap, count); }
  bool start_map_key() { return true; }
  bool end_map_key() { return true; }
  bool start_map_value() { return true; }
  bool end_map_value() { return true; }
  bool end_map() { return close(); }

 private:
  MsgpackTree::Node& leaf(MsgpackKind kind) {
    MsgpackTree::Node& node = nodes_.emplace_back();
    node.kind = kind;
    node.end = static_cast<std::uint32_t>(nodes_.size());
    return node;
  }
  void bytes(MsgpackKind kind, const char* data, std::uint32_t size) {
    MsgpackTree::Node& node = leaf(kind);
    node.data = data;
    node.length = size;
  }
  bool open(MsgpackKind kind, std::uint32_t count) {
    if (!enter_container()) return false;
    const auto index = static_cast<std::uint32_t>(nodes_.size());
    MsgpackTree::Node& node = nodes_.emplace_back();
    node.kind = kind;
    node.length = count;  // trusted only once the parse has completed: it saw every element
    node.end = innermost_open_;
    innermost_open_ = index;
    return true;
  }
  bool close() {
    MsgpackTree::Node& node = nodes_[innermost_open_];
    innermost_open_ = node.end;
    node.end = static_cast<std::uint32_t>(nodes_.size());
    leave_container();
    return true;
  }

  static constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
  std::vector<MsgpackTree::Node>& nodes_;
  std::uint32_t innermost_open_ = kNone;
};

Result<MsgpackTree> parse_tree(std::string_view bytes, std::size_t max_depth) {
  // Node indices are 32-bit, and there is at most one node per input byte.
  if (bytes.size() > std::numeric_limits<std::uint32_t>::max()) {
    return corruption("input of " + std::to_string(bytes.size()) + " bytes exceeds the 4 GiB limit");
  }
  MsgpackTree tree;
  TreeVisitor visitor(tree, max_depth, bytes.size());
  if (Status s = parse_bounded(bytes, visitor); !s) return s;
  return tree;
}

MsgpackKind MsgpackRef::kind() const { return tree_->node(index_).kind; }

std::uint32_t MsgpackRef::count() const {
  const MsgpackTree::Node& node = tree_->node(index_);
  return node.kind == MsgpackKind::kArray || node.kind == MsgpackKind::kMap ? node.length : 0;
}

bool MsgpackRef::get_uint(std::uint64_t& out) const {
  const MsgpackTree::Node& node = tree_->node(index_);
  if (node.kind != MsgpackKind::kUint) return false;
  out = node.uint;
  return true;
}

bool MsgpackRef::get_str(std::string_view& out) const {
  const MsgpackTree::Node& node = tree_->node(index_);
  if (node.kind != MsgpackKind::kStr) return false;
  out = std::string_view(node.data, node.length);
  return true;
}

bool MsgpackRef::get_bin(std::string_view& out) const {
  const MsgpackTree::Node& node = tree_->node(index_);
  if (node.kind != MsgpackKind::kBin) return false;
  out = std::string_view(node.data, node.length);
  return true;
}

MsgpackRef MsgpackRef::next_sibling() const { return MsgpackRef(tree_, tree_->node(index_).end); }

std::vector<MsgpackRef> MsgpackRef::children() const {
  std::vector<MsgpackRef> out;
  const MsgpackTree::Node& node = tree_->node(index_);
  if (node.kind != MsgpackKind::kArray && node.kind != MsgpackKind::kMap) return out;
  // The count is real here: the parse saw every child.
  out.reserve(node.kind == MsgpackKind::kMap ? 2 * std::size_t{node.length} : node.length);
  for (std::uint32_t child = index_ + 1; child < node.end; child = tree_->node(child).end) {
    out.push_back(MsgpackRef(tree_, child));
  }
  return out;
}

}  // namespace snapstore::codec
