// A WAL record's payload: one atomic batch of operations.
//
//   payload   := msgpack array [first_lsn, [operation, ...]]
//   operation := [1 insert, id, version, document]
//              | [2 update, id, version, document]
//              | [3 delete, id, version]
//              | [4 create_index, name, [field, ...]]
//              | [4 create_index, name, [field, ...], options]
//              | [5 drop_index, name]
//   options   := msgpack bin holding [unique (0|1), where]   (index_options)
//   where     := nil | [field] (exists) | [field, value]    (equals)
//   value     := msgpack bin holding the value's msgpack bytes
//
// A plain index (default IndexOptions) is written without `options`, as
// before options existed, so old logs and new plain records read the same.
// Operation i of a batch has LSN first_lsn + i. `document` is msgpack bin
// holding the document's own msgpack bytes: to the log a document is opaque.
// Operation type numbers are explicit and never reused.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "snapstore/index_options.h"
#include "snapstore/status.h"

namespace snapstore::wal {

enum class OpType : std::uint8_t {
  kInsert = 1,
  kUpdate = 2,
  kDelete = 3,
  kCreateIndex = 4,
  kDropIndex = 5,
};

struct Operation {
  OpType type = OpType::kInsert;
  std::string key;                  // document id, or index name
  std::uint64_t version = 0;        // insert, update, delete
  std::string document;             // insert, update: the document's msgpack bytes
  std::vector<std::string> fields;  // create_index
  IndexOptions index_options{};     // create_index (a default initializer: brace-built operations may omit it)

  friend bool operator==(const Operation&, const Operation&) = default;
};

struct Batch {
  std::uint64_t first_lsn = 0;
  std::vector<Operation> ops;

  std::uint64_t last_lsn() const { return first_lsn + ops.size() - 1; }
  friend bool operator==(const Batch&, const Batch&) = default;
};

// The bytes of `options` in the grammar above (also what the RocksDB
// mirror keeps with an index's fields), and back: Corruption for anything
// outside the grammar, an empty field or a null value.
std::string encode_index_options(const IndexOptions& options);
Result<IndexOptions> decode_index_options(std::string_view bytes);

// Encodes the operations as a msgpack array (the payload's second element),
// so that it can be built before the batch's LSN is known.
std::string encode_operations(const std::vector<Operation>& ops);
// Appends the full payload: [first_lsn, <encoded operations>].
void append_payload(std::string& out, std::uint64_t first_lsn, std::string_view encoded_operations);

// Decodes a payload whose checksum has already been verified. Anything that
// does not follow the grammar above is Corruption, and so is a first_lsn of 0
// or a batch whose LSNs would run past 2^64-1.
Result<Batch> decode_payload(std::string_view payload);

// An insert, update or delete as visit_payload() hands it over: views into
// the payload, no copy.
struct DocumentOperation {
  OpType type = OpType::kInsert;
  std::string_view key;
  std::uint64_t version = 0;
  std::string_view document;  // insert, update
};

// encode_operations() for inserts, updates and deletes given as views (the
// snapshot's bytes, the id's text): the same bytes, written straight into
// the record by the WAL's leader (D115), with no Operation holding copies.
//   std::vector<char> out(encoded_operations_size(ops));
//   write_operations(ops, out.data());  // == encode_operations(<the same as Operations>)
std::size_t encoded_operations_size(std::span<const DocumentOperation> ops);
// Writes exactly encoded_operations_size(ops) bytes at `out`; returns their end.
char* write_operations(std::span<const DocumentOperation> ops, char* out);
// The bytes of [first_lsn, ...]'s start, before the encoded operations:
// payload_header_size(lsn) + encoded_operations_size(ops) is a payload's size.
std::size_t payload_header_size(std::uint64_t first_lsn);
char* write_payload_header(std::uint64_t first_lsn, char* out);

// What visit_payload() calls, in operation order; a failure stops the walk
// and is returned.
class PayloadVisitor {
 public:
  virtual ~PayloadVisitor() = default;
  virtual Status document(const DocumentOperation& op, std::uint64_t lsn) = 0;  // insert, update, delete
  virtual Status index(const Operation& op, std::uint64_t lsn) = 0;            // create_index, drop_index
};

// decode_payload() without the copies: the same checks and Corruption
// messages, but operation by operation, so operations before a malformed
// one have been visited when it is refused (the mirror's applier, which
// reads every record this way, then discards the whole RocksDB write).
// Documents come as views into `payload`. A batch of inserts, updates and
// deletes is read in place, without building a parse tree (D113); anything
// else takes visit_payload_tree().
Status visit_payload(std::string_view payload, PayloadVisitor& visitor);
// The same walk through codec::parse_tree: index operations and malformed
// payloads take it, and tests hold visit_payload() to it.
Status visit_payload_tree(std::string_view payload, PayloadVisitor& visitor);

// The LSNs a payload covers, read from its first few bytes without decoding
// its operations (the reader passes over records the mirror already holds
// this way). nullopt when the header is not the well-formed start of
// [first_lsn >= 1, [operation x count >= 1]] with LSNs that fit in 64 bits:
// decode_payload() then says what is wrong.
struct PayloadLsns {
  std::uint64_t first_lsn = 0;
  std::uint64_t last_lsn = 0;
};
std::optional<PayloadLsns> peek_payload_lsns(std::string_view payload);

}  // namespace snapstore::wal
