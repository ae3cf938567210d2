// WAL batch -> Changes (see change_decode.h).
#include "recovery/change_decode.h"

#include <algorithm>
#include <string>
#include <utility>

#include "value/msgpack_codec.h"

namespace snapstore::recovery {

Status append_changes(const wal::Batch& batch, std::size_t max_depth, std::vector<Change>& out) {
  if (batch.ops.empty()) return Status::ok();
  const std::uint64_t last = batch.last_lsn();
  // Not reserve(size + n): called once per record, exact reservations would
  // reallocate every time.
  if (out.capacity() - out.size() < batch.ops.size()) out.reserve(std::max(out.size() * 2, out.size() + batch.ops.size()));
  for (std::size_t i = 0; i < batch.ops.size(); ++i) {
    const wal::Operation& op = batch.ops[i];
    Change change;
    change.revision = batch.first_lsn + i;
    change.batch_first_revision = batch.first_lsn;
    change.batch_last_revision = last;
    switch (op.type) {
      case wal::OpType::kInsert:
      case wal::OpType::kUpdate: {
        change.op = op.type == wal::OpType::kInsert ? ChangeOp::kInsert : ChangeOp::kUpdate;
        change.id = op.key;
        change.version = op.version;
        auto doc = value::decode_document(op.document, max_depth);
        if (!doc) {
          return Status::corruption("change at revision " + std::to_string(change.revision) + ", document \"" + op.key +
                                    "\": " + doc.status().detail());
        }
        change.document = std::move(*doc);
        break;
      }
      case wal::OpType::kDelete:
        change.op = ChangeOp::kRemove;
        change.id = op.key;
        change.version = op.version;
        break;
      case wal::OpType::kCreateIndex:
        change.op = ChangeOp::kCreateIndex;
        change.index = op.key;
        change.fields = op.fields;
        change.index_options = op.index_options;
        break;
      case wal::OpType::kDropIndex:
        change.op = ChangeOp::kDropIndex;
        change.index = op.key;
        break;
    }
    out.push_back(std::move(change));
  }
  return Status::ok();
}

Result<std::vector<Change>> changes_of(const wal::Batch& batch, std::size_t max_depth) {
  std::vector<Change> out;
  if (Status s = append_changes(batch, max_depth, out); !s.is_ok()) return s;
  return out;
}

}  // namespace snapstore::recovery
