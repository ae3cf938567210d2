// LogReader (see reader.h). Each tolerance decision carries its reason.
#include "wal/reader.h"

#include <xxhash.h>

#include <algorithm>
#include <cstring>

#include "base/little_endian.h"
#include "wal/format.h"
#include "wal/writer.h"

namespace snapstore::wal {
namespace {

bool all_zero(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == '\0'; });
}


// What parsing one record at an offset found.
enum class Parse { kRecord, kIncomplete, kZeroed, kBad };

struct RecordView {
  std::uint8_t type = 0;
  std::string_view payload;
  std::size_t size = 0;  // header + payload
  std::string problem;
};

Parse parse_record(std::string_view data, std::size_t offset, RecordView& out) {
  const std::string_view rest = data.substr(offset);
  if (rest.size() < kRecordHeaderSize) {
    if (all_zero(rest)) return Parse::kZeroed;
    out.problem = "incomplete record header (" + std::to_string(rest.size()) + " bytes)";
    return Parse::kIncomplete;
  }
  const std::uint64_t checksum = base::get_fixed64(rest.data());
  const std::uint32_t length = base::get_fixed32(rest.data() + kRecordChecksumSize);
  const auto type = static_cast<std::uint8_t>(rest[kRecordChecksumSize + 4]);
  // Type 0 is never written: a zero header is preallocated or torn space.
  if (type == static_cast<std::uint8_t>(RecordType::kZero) && checksum == 0 && length == 0) return Parse::kZeroed;
  if (length > kMaxRecordPayload) {
    out.problem = "record length " + std::to_string(length) + " exceeds the maximum";
    return Parse::kBad;
  }
  if (rest.size() - kRecordHeaderSize < length) {
    out.problem = "record of " + std::to_string(length) + " payload bytes runs past the end of the file";
    return Parse::kIncomplete;
  }
  if (XXH64(rest.data() + kRecordChecksumSize, kRecordHeaderSize - kRecordChecksumSize + length, 0) != checksum) {
    out.problem = "record checksum mismatch";
    return Parse::kBad;
  }
  out.type = type;
  out.payload = rest.substr(kRecordHeaderSize, length);
  out.size = kRecordHeaderSize + length;
  return Parse::kRecord;
}

// What lies after damage in the last segment: checksum-valid records found
// by trying every offset (cheap filters on type and length run first, so
// scanning garbage stays linear in practice).
struct AfterDamage {
  bool synced_beyond = false;  // a sync mark says the damaged LSN had been synced
  std::uint64_t batches = 0;   // valid batch records, never synced, to be dropped
};

AfterDamage scan_after_damage(std::string_view data, std::size_t from, std::uint64_t damaged_lsn) {
  AfterDamage found;
  for (std::size_t offset = from; offset + kRecordHeaderSize <= data.size(); ++offset) {
    const char* h = data.data() + offset;
    const auto type = static_cast<std::uint8_t>(h[kRecordChecksumSize + 4]);
    const bool mark = type == static_cast<std::uint8_t>(RecordType::kSyncMark);
    if (!mark && type != static_cast<std::uint8_t>(RecordType::kBatch)) continue;
    const std::uint32_t length = base::get_fixed32(h + kRecordChecksumSize);
    if (length > data.size() - offset - kRecordHeaderSize) continue;
    if (mark ? length != kSyncMarkPayloadSize : length < 2) continue;
    RecordView view;
    if (parse_record(data, offset, view) != Parse::kRecord) continue;
    if (mark) {
      if (base::get_fixed64(view.payload.data()) >= damaged_lsn) found.synced_beyond = true;
    } else {
      ++found.batches;
    }
    offset += view.size - 1;
  }
  return found;
}

Status check_header(const SegmentInfo& segment, std::string_view data) {
  if (std::memcmp(data.data(), kSegmentMagic.data(), kSegmentMagic.size()) != 0) {
    return Status::corruption(at_offset(segment.path, 0) + ": not a snapstore WAL segment (bad magic)");
  }
  if (XXH64(data.data(), kSegmentHeaderChecksummed, 0) != base::get_fixed64(data.data() + kSegmentHeaderChecksummed)) {
    return Status::corruption(at_offset(segment.path, 0) + ": segment header checksum mismatch");
  }
  const std::uint32_t version = base::get_fixed32(data.data() + 8);
  if (version != kFormatVersion) {
    return Status::corruption(at_offset(segment.path, 8) + ": WAL format version " + std::to_string(version) +
                              " is not supported (this build reads version " + std::to_string(kFormatVersion) + ")");
  }
  if (base::get_fixed64(data.data() + 16) != segment.first_lsn) {
    return Status::corruption(at_offset(segment.path, 16) + ": header says first LSN " +
                              std::to_string(base::get_fixed64(data.data() + 16)) + ", the file name says " +
                              std::to_string(segment.first_lsn));
  }
  return Status::ok();
}

}  // namespace

Result<std::vector<SegmentInfo>> list_segment_names(Env* env, const std::string& dir) {
  auto names = env->list_dir(dir);
  if (!names) return names.status();
  std::vector<SegmentInfo> segments;
  for (const auto& name : *names) {
    SegmentInfo info;
    if (!SegmentName::parse(name, info.first_lsn)) continue;
    info.path = join_path(dir, name);
    segments.push_back(std::move(info));
  }
  std::sort(segments.begin(), segments.end(),
            [](const SegmentInfo& a, const SegmentInfo& b) { return a.first_lsn < b.first_lsn; });
  return segments;
}

Result<std::vector<SegmentInfo>> list_segments(Env* env, const std::string& dir) {
  auto listed = list_segment_names(env, dir);
  if (!listed) return listed.status();
  std::vector<SegmentInfo> segments;
  segments.reserve(listed->size());
  for (auto& info : *listed) {
    auto size = env->file_size(info.path);
    if (!size) {
      // Retired between the listing and the stat: a live store's checkpoint
      // removes its oldest segments while backups and feeds list them.
      if (!env->exists(info.path)) continue;
      return size.status();
    }
    info.size = *size;
    segments.push_back(std::move(info));
  }
  return segments;
}

namespace {

// read_log and salvage_log: the same walk; `salvage` turns the first
// corruption into ReadSummary::damage instead of an error.
Result<ReadSummary> walk_log(Env* env, const std::string& dir, std::uint64_t floor_lsn, const BatchVisitor& visit,
                             BelowFloor below_floor, bool salvage) {
  ReadSummary summary;
  auto segments = list_segments(env, dir);
  if (!segments) return segments.status();
  summary.segments = *segments;

  std::uint64_t expected_lsn = 0;  // 0: not known yet (before the first segment)
  auto damaged = [&](std::size_t index, std::uint64_t offset, std::string message) -> Result<ReadSummary> {
    if (!salvage) return Status::corruption(message);
    summary.damage = Damage{summary.segments[index].path, index, offset, expected_lsn, std::move(message)};
    return summary;
  };
  for (std::size_t i = 0; i < summary.segments.size(); ++i) {
    const SegmentInfo& segment = summary.segments[i];
    const bool last = i + 1 == summary.segments.size();
    auto content = env->map_file(segment.path);
    if (!content) return content.status();
    const std::string_view data = (*content)->data();

    auto torn = [&](std::uint64_t offset, std::string reason) {
      summary.torn_tail = TornTail{segment.path, offset, data.size() - offset, std::move(reason)};
    };

    if (data.size() < kSegmentHeaderSize) {
      // The writer syncs a new segment's header before using it, so a short
      // header means the crash came while the segment was being created.
      if (last) {
        torn(0, "incomplete segment header");
        break;
      }
      return damaged(i, 0,
                     at_offset(segment.path, 0) + ": segment header truncated to " + std::to_string(data.size()) + " bytes");
    }
    if (last && all_zero(data.substr(0, kSegmentHeaderSize))) {
      torn(0, "zeroed segment header");
      break;
    }
    if (Status s = check_header(segment, data); !s) {
      // A newer format is not damage: never salvage it away.
      if (s.message().find("is not supported") != std::string::npos) return s;
      return damaged(i, 0, s.detail());
    }
    const bool gap_below_floor = segment.first_lsn > expected_lsn && segment.first_lsn <= floor_lsn + 1;
    if (expected_lsn != 0 && segment.first_lsn != expected_lsn && !gap_below_floor) {
      return damaged(i, 0,
                     at_offset(segment.path, 0) + ": LSN gap: the segment starts at LSN " + std::to_string(segment.first_lsn) +
                         " but the log before it ends at LSN " + std::to_string(expected_lsn - 1) +
                         " (a segment is missing)");
    }
    expected_lsn = segment.first_lsn;

    std::size_t offset = kSegmentHeaderSize;
    while (offset < data.size()) {
      RecordView view;
      const Parse parse = parse_record(data, offset, view);
      if (parse == Parse::kRecord) {
        if (view.type & kIgnorableTypeBit) {
          offset += view.size;  // a newer writer's record that old readers may skip
          continue;
        }
        if (view.type != static_cast<std::uint8_t>(RecordType::kBatch)) {
          return damaged(i, offset, at_offset(segment.path, offset) + ": unknown record type " + std::to_string(view.type));
        }
        // A record wholly at or below the floor that nobody reads is passed
        // over on its checksum and header (D63): its effects are safe in the
        // mirror, and decoding it is most of what opening a just-imported
        // store would cost.
        std::optional<PayloadLsns> lsns;
        if (below_floor == BelowFloor::kSkip) {
          lsns = peek_payload_lsns(view.payload);
          if (lsns && lsns->last_lsn > floor_lsn) lsns.reset();
        }
        std::optional<Batch> batch;
        if (!lsns) {
          // The checksum passed, so a payload that does not decode was written
          // that way or damaged before checksumming: never a torn write.
          auto decoded = decode_payload(view.payload);
          if (!decoded) return damaged(i, offset, at_offset(segment.path, offset) + ": " + decoded.status().detail());
          batch = std::move(*decoded);
          lsns = PayloadLsns{batch->first_lsn, batch->last_lsn()};
          ++summary.decoded;
        }
        if (lsns->first_lsn != expected_lsn) {
          return damaged(i, offset,
                         at_offset(segment.path, offset) + ": record has LSN " + std::to_string(lsns->first_lsn) +
                             ", expected LSN " + std::to_string(expected_lsn));
        }
        if (batch) {
          if (Status s = visit(*batch); !s) return s;
        }
        if (summary.records == 0) summary.first_lsn = lsns->first_lsn;
        ++summary.records;
        summary.last_lsn = lsns->last_lsn;
        expected_lsn = summary.last_lsn + 1;
        offset += view.size;
        continue;
      }

      // Damage at `offset`. Only the end of the last segment can be torn: an
      // earlier segment was synced before the next one was created.
      if (!last) {
        // Everything this segment could still have held lies at or below the
        // floor when the next segment starts there: nothing is lost.
        if (summary.segments[i + 1].first_lsn <= floor_lsn + 1) break;
        return damaged(i, offset,
                       at_offset(segment.path, offset) + ": " +
                           (parse == Parse::kZeroed ? std::string("zeroed space") : view.problem) +
                           " in a sealed segment (expected LSN " + std::to_string(expected_lsn) + ")");
      }
      if (parse == Parse::kZeroed && all_zero(data.substr(offset))) {
        torn(offset, "zeroed tail");
        break;
      }
      // Damage is torn (never synced) unless a later sync mark proves the
      // damaged record had been synced before: then synced data was lost.
      // Valid records after torn damage were never synced either (the
      // writer only syncs whole groups), so they are dropped with it: the
      // log stays a prefix without holes.
      const std::string problem = parse == Parse::kZeroed ? std::string("zeroed space") : view.problem;
      const AfterDamage after = scan_after_damage(data, offset + 1, expected_lsn);
      if (after.synced_beyond) {
        return damaged(i, offset,
                       at_offset(segment.path, offset) + ": " + problem +
                           " in records a later sync mark shows were synced (expected LSN " +
                           std::to_string(expected_lsn) + ")");
      }
      torn(offset, after.batches == 0 ? problem
                                      : problem + "; " + std::to_string(after.batches) +
                                            " later record(s) were never synced and are dropped");
      break;
    }
    if (summary.torn_tail) break;
  }
  return summary;
}

}  // namespace

std::uint64_t torn_tail_first_lsn(const ReadSummary& summary) {
  if (!summary.torn_tail || summary.segments.empty()) return 0;
  return std::max(summary.last_lsn + 1, summary.segments.back().first_lsn);
}

Result<std::vector<SegmentCheck>> check_segments(Env* env, const std::string& dir) {
  auto segments = list_segments(env, dir);
  if (!segments) return segments.status();
  std::vector<SegmentCheck> checks;
  for (const SegmentInfo& segment : *segments) {
    SegmentCheck& check = checks.emplace_back();
    check.path = segment.path;
    auto content = env->read_file(segment.path);
    if (!content) return content.status();
    const std::string_view data(*content);
    if (data.size() < kSegmentHeaderSize) {
      check.damage = "segment header truncated to " + std::to_string(data.size()) + " bytes";
      continue;
    }
    if (Status s = check_header(segment, data); !s) {
      check.damage = s.detail();
      continue;
    }
    std::uint64_t expected_lsn = segment.first_lsn;
    std::size_t offset = kSegmentHeaderSize;
    while (offset < data.size() && check.damage.empty()) {
      RecordView view;
      const Parse parse = parse_record(data, offset, view);
      if (parse == Parse::kZeroed && all_zero(data.substr(offset))) break;  // preallocated space
      if (parse != Parse::kRecord) {
        check.damage = parse == Parse::kZeroed ? std::string("zeroed space between records") : view.problem;
        break;
      }
      if (view.type == static_cast<std::uint8_t>(RecordType::kBatch)) {
        auto batch = decode_payload(view.payload);
        if (!batch) {
          check.damage = batch.status().detail();
        } else if (batch->first_lsn != expected_lsn) {
          check.damage =
              "record has LSN " + std::to_string(batch->first_lsn) + ", expected LSN " + std::to_string(expected_lsn);
        } else {
          expected_lsn = batch->last_lsn() + 1;
          ++check.records;
        }
      } else if (!(view.type & kIgnorableTypeBit)) {
        check.damage = "unknown record type " + std::to_string(view.type);
      }
      if (!check.damage.empty()) break;
      offset += view.size;
    }
    if (!check.damage.empty()) check.damage_offset = offset;
  }
  return checks;
}

Result<ReadSummary> read_log(Env* env, const std::string& dir, std::uint64_t floor_lsn, const BatchVisitor& visit,
                             BelowFloor below_floor) {
  return walk_log(env, dir, floor_lsn, visit, below_floor, /*salvage=*/false);
}

Result<ReadSummary> salvage_log(Env* env, const std::string& dir, std::uint64_t floor_lsn, const BatchVisitor& visit,
                                BelowFloor below_floor) {
  return walk_log(env, dir, floor_lsn, visit, below_floor, /*salvage=*/true);
}

Result<std::unique_ptr<SegmentCursor>> SegmentCursor::open(Env* env, const SegmentInfo& segment, bool copy) {
  std::unique_ptr<SegmentCursor> cursor(new SegmentCursor(env, segment, copy));
  if (Status s = cursor->load(); !s) return s;
  if (cursor->data_.size() < kSegmentHeaderSize) {
    return Status::corruption(at_offset(segment.path, 0) + ": segment header truncated to " +
                              std::to_string(cursor->data_.size()) + " bytes");
  }
  if (Status s = check_header(segment, cursor->data_); !s) return s;
  cursor->offset_ = kSegmentHeaderSize;
  cursor->expected_lsn_ = segment.first_lsn;
  return cursor;
}

Status SegmentCursor::load() {
  mapped_.reset();
  copied_.clear();
  if (copy_) {
    auto content = env_->read_file(segment_.path);
    if (!content) return content.status();
    copied_ = std::move(*content);
    data_ = copied_;
  } else {
    auto content = env_->map_file(segment_.path);
    if (!content) return content.status();
    mapped_ = std::move(*content);
    data_ = mapped_->data();
  }
  return Status::ok();
}

Status SegmentCursor::refresh() {
  problem_.clear();
  return load();
}

Result<std::optional<Batch>> SegmentCursor::next(std::uint64_t from_lsn) {
  while (offset_ < data_.size()) {
    RecordView view;
    const Parse parse = parse_record(data_, offset_, view);
    if (parse != Parse::kRecord) {
      problem_ = parse == Parse::kZeroed ? std::string("zeroed space") : view.problem;
      return std::optional<Batch>();
    }
    if (view.type != static_cast<std::uint8_t>(RecordType::kBatch)) {
      if (!(view.type & kIgnorableTypeBit)) {
        return Status::corruption(at_offset(segment_.path, offset_) + ": unknown record type " + std::to_string(view.type));
      }
      offset_ += view.size;
      continue;
    }
    auto lsns = peek_payload_lsns(view.payload);
    std::optional<Batch> batch;
    if (!lsns || lsns->last_lsn >= from_lsn) {
      auto decoded = decode_payload(view.payload);
      if (!decoded) return Status::corruption(at_offset(segment_.path, offset_) + ": " + decoded.status().detail());
      lsns = PayloadLsns{decoded->first_lsn, decoded->last_lsn()};
      batch = std::move(*decoded);
    }
    if (lsns->first_lsn != expected_lsn_) {
      return Status::corruption(at_offset(segment_.path, offset_) + ": record has LSN " + std::to_string(lsns->first_lsn) +
                                ", expected LSN " + std::to_string(expected_lsn_));
    }
    expected_lsn_ = lsns->last_lsn + 1;
    offset_ += view.size;
    if (batch) return batch;
  }
  problem_.clear();
  return std::optional<Batch>();
}

}  // namespace snapstore::wal
