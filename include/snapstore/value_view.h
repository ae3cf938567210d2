// ValueView: a read-only, zero-copy view of one Value inside a stored
// document.
//
// Views come from a DocumentView (Store::get_view, lookup_view, cursors and
// streams). They read the document's stored bytes in place: nothing is
// decoded or copied until asked for, strings come back as string_views into
// the document, and a view stays valid as long as the DocumentView it came
// from (or a copy of it) lives — later writes never change it. So keep the
// DocumentView, not just a ValueView: in
//   for (auto [name, field] : store.get_view(id)->data().fields())
// the DocumentView is a temporary gone before the loop body runs.
//
//   auto doc = store.get_view(id);
//   std::string_view city = doc->at("address").at("city").as_string();
//   for (auto [name, field] : doc->data().fields()) { ... }
//
// Accessors mirror Value's and throw BadAccess the same way; to_value() makes
// the deep copy.
//
// Thread safety: views are immutable; share them freely between threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

#include "snapstore/value.h"

namespace snapstore {

namespace detail {
struct ViewAccess;  // the store's way to make views of bytes it has checked
}  // namespace detail

class ValueView {
 public:
  ValueView() noexcept;  // a view of null

  ValueType type() const noexcept;
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

  // As Value's accessors (BadAccess on another type); strings and binaries
  // are views into the stored document.
  bool as_bool() const;
  std::int64_t as_int() const;
  std::uint64_t as_uint() const;
  double as_double() const;
  double to_double() const;
  std::string_view as_string() const;
  std::span<const std::uint8_t> as_binary() const;

  // Object access: nullopt when this is not an object or has no such field;
  // at() throws BadAccess instead.
  std::optional<ValueView> find(std::string_view field) const noexcept;
  ValueView at(std::string_view field) const;
  bool contains(std::string_view field) const noexcept { return find(field).has_value(); }
  // Array access; BadAccess when out of range or not an array. Costs a walk
  // over the elements before `index`: iterate with elements() instead.
  ValueView at(std::size_t index) const;

  // Elements of an array or object, bytes of a string or binary, 0 otherwise.
  std::size_t size() const noexcept;

  // The deep copy.
  Value to_value() const;
  // The value's msgpack encoding (docs/FORMATS.md), as stored.
  std::string_view encoded() const noexcept;

  struct Field;  // one field of an object: its name and value (below)

  // Forward iteration over an array's elements or an object's fields (in
  // name order), without copying.
  template <typename Item>
  class Iterator {
   public:
    // Items are values, not references: an input iterator by the classic
    // categories, a forward iterator by the C++20 concepts.
    using iterator_category = std::input_iterator_tag;
    using iterator_concept = std::forward_iterator_tag;
    using value_type = Item;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = Item;

    Iterator() = default;
    Item operator*() const noexcept;  // defined below, once Field is complete
    Iterator& operator++() noexcept {
      position_ = std::is_same_v<Item, Field> ? past_field(position_) : past_value(position_);
      --remaining_;
      return *this;
    }
    Iterator operator++(int) noexcept {
      Iterator before = *this;
      ++*this;
      return before;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) noexcept { return a.remaining_ == b.remaining_; }

   private:
    friend class ValueView;
    Iterator(const unsigned char* position, std::uint32_t remaining) : position_(position), remaining_(remaining) {}
    const unsigned char* position_ = nullptr;
    std::uint32_t remaining_ = 0;
  };

  template <typename Item>
  struct Range {
    Iterator<Item> first;
    Iterator<Item> begin() const noexcept { return first; }
    Iterator<Item> end() const noexcept { return {}; }
  };

  // BadAccess unless this is an array (elements) or an object (fields).
  Range<ValueView> elements() const;
  Range<Field> fields() const;

  // Deep equality with a Value, as Value's operator== (5 and 5.0 differ).
  friend bool operator==(const ValueView& view, const Value& value);

 private:
  friend struct detail::ViewAccess;
  explicit ValueView(const unsigned char* encoded) noexcept : data_(encoded) {}
  // Iteration steps over encoded values.
  static Field field_at(const unsigned char* key) noexcept;
  static const unsigned char* past_value(const unsigned char* value) noexcept;
  static const unsigned char* past_field(const unsigned char* key) noexcept;

  const unsigned char* data_;
};

struct ValueView::Field {
  std::string_view name;
  ValueView value;
};

template <typename Item>
Item ValueView::Iterator<Item>::operator*() const noexcept {
  if constexpr (std::is_same_v<Item, Field>) {
    return field_at(position_);
  } else {
    return ValueView(position_);
  }
}

}  // namespace snapstore
