// The RocksDB mirror's layout: column families, meta keys and value
// encodings. This header and docs/FORMATS.md ("RocksDB mirror") define it.
//
//   docs: id -> version u64 LE | revision u64 LE | document msgpack
//   meta: "format_version" -> u32 LE (1)
//         "applied_lsn"    -> u64 LE: the last WAL LSN whose effect is included
//         "index/<name>"   -> msgpack array of the index's field paths, or
//                             for an index with options (unique, partial)
//                             [[field, ...], options] with options as the
//                             WAL's create_index carries it (wal/record.h)
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/little_endian.h"
#include "snapstore/index_options.h"
#include "snapstore/status.h"

namespace snapstore::recovery {

inline constexpr std::string_view kDocsFamily = "docs";
inline constexpr std::string_view kMetaFamily = "meta";
inline constexpr std::string_view kFormatVersionKey = "format_version";
inline constexpr std::string_view kAppliedLsnKey = "applied_lsn";
inline constexpr std::string_view kIndexKeyPrefix = "index/";
inline constexpr std::uint32_t kMirrorFormatVersion = 1;
inline constexpr std::size_t kDocHeaderSize = 16;  // version + revision

using base::get_fixed32;
using base::get_fixed64;
using base::put_fixed32;
using base::put_fixed64;

// An index definition's value in the meta family: the plain form for an
// index without options, so stores written before options read the same.
struct IndexFieldsAndOptions {
  std::vector<std::string> fields;
  IndexOptions options;
};
std::string encode_index_fields(const std::vector<std::string>& fields, const IndexOptions& options = {});
Result<IndexFieldsAndOptions> decode_index_fields(std::string_view bytes);

}  // namespace snapstore::recovery
