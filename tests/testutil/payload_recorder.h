// PayloadRecorder: a wal::PayloadVisitor for tests. It rebuilds the
// operations it is handed, with their LSNs, can fail a chosen visit, and,
// given the payload, checks that keys and documents are views into it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "snapstore/status.h"
#include "wal/record.h"

namespace snapstore::testutil {

class PayloadRecorder final : public wal::PayloadVisitor {
 public:
  PayloadRecorder() = default;
  explicit PayloadRecorder(std::string_view payload) : payload_(payload) {}

  Status document(const wal::DocumentOperation& op, std::uint64_t lsn) override {
    inside = inside && within(op.key) && (op.document.empty() || within(op.document));
    return record(wal::Operation{op.type, std::string(op.key), op.version, std::string(op.document), {}}, lsn);
  }
  Status index(const wal::Operation& op, std::uint64_t lsn) override { return record(op, lsn); }

  std::vector<wal::Operation> ops;
  std::vector<std::uint64_t> lsns;
  std::size_t fail_at = 0;  // 1-based: the visit that fails; 0: none
  bool inside = true;       // every view was inside the payload (when one was given)

 private:
  Status record(wal::Operation op, std::uint64_t lsn) {
    lsns.push_back(lsn);
    ops.push_back(std::move(op));
    return fail_at == ops.size() ? Status::io_error("stop") : Status::ok();
  }
  bool within(std::string_view s) const {
    if (payload_.data() == nullptr) return true;
    return s.data() >= payload_.data() && s.data() + s.size() <= payload_.data() + payload_.size();
  }

  std::string_view payload_;
};

}  // namespace snapstore::testutil
