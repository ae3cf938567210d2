// Journal: the change feed's reads and the consumers' WAL retention
// (see journal.h and change_log.h).
#include "engine/journal.h"

namespace snapstore::engine {

recovery::RetentionHook Journal::retention_hook() {
  recovery::ConsumerSlots* slots = slots_.get();
  const recovery::RetentionLimits limits{options_.max_consumer_wal_bytes, options_.max_consumer_age};
  return [slots, limits](const std::vector<wal::SegmentInfo>& segments, std::uint64_t applied_lsn) {
    recovery::RetentionDecision decision;
    decision.warnings = slots->enforce(segments, applied_lsn, limits);
    decision.keep_from = slots->keep_from();
    return decision;
  };
}

Result<std::vector<Change>> Journal::read_changes(FeedPosition& at, std::size_t max_changes) {
  std::uint64_t limit = recovered_lsn_;
  if (writer_) {
    limit = writer_->durable_lsn();
    if (at.next > limit && writer_->written_lsn() >= at.next) {
      // none and periodic: written, not yet synced. A feed delivers only
      // what a power cut cannot take back, so it syncs first (DECISIONS D79).
      if (Status s = writer_->sync(); !s) return s;
      limit = writer_->durable_lsn();
      change_log_->published(limit);
    }
  }
  return change_log_->read(at, limit, max_changes);
}

Result<std::vector<wal::SegmentInfo>> Journal::wal_segments() const {
  return wal::list_segments(env_, dir_lock_->wal_dir());
}

}  // namespace snapstore::engine
