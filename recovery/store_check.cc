#include "recovery/store_check.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "index/key.h"
#include "index/predicate.h"
#include "recovery/store_dir.h"
#include "value/msgpack_codec.h"
#include "wal/reader.h"

namespace snapstore::recovery {
namespace {

// Documents deeper than this are refused (the engine's own limit is lower).
constexpr std::size_t kCheckMaxDepth = 1000;

std::string_view operation_name(wal::OpType type) {
  switch (type) {
    case wal::OpType::kInsert:
      return "insert";
    case wal::OpType::kUpdate:
      return "update";
    case wal::OpType::kDelete:
      return "delete";
    case wal::OpType::kCreateIndex:
      return "create_index";
    case wal::OpType::kDropIndex:
      return "drop_index";
  }
  return "unknown";
}

}  // namespace

WalCheck check_wal(const std::string& dir, std::optional<std::uint64_t> applied_lsn,
                   const std::function<void(std::string)>& problem) {
  WalCheck result;
  wal::Env* env = wal::Env::posix();
  const std::string wal_dir = wal_dir_path(dir);
  const std::uint64_t floor = applied_lsn.value_or(0);
  std::string torn_tail_at;    // "<segment> at offset <n>" of a torn tail
  std::string read_log_error;  // the WAL read's Corruption, if any
  // Per document written in the WAL: its version after the last operation
  // seen (0 once deleted), to find version jumps. Forgotten at a gap in the
  // LSNs (allowed below applied_lsn), where operations may be missing.
  std::unordered_map<std::string, std::uint64_t> versions;
  std::uint64_t next_lsn = 0;
  auto read = wal::read_log(env, wal_dir, floor, [&](const wal::Batch& batch) -> Status {
    if (batch.first_lsn != next_lsn) versions.clear();
    next_lsn = batch.first_lsn + batch.ops.size();
    std::uint64_t lsn = batch.first_lsn;
    for (const wal::Operation& op : batch.ops) {
      ++result.operations;
      if (op.type == wal::OpType::kUpdate || op.type == wal::OpType::kDelete) {
        if (auto known = versions.find(op.key); known != versions.end()) {
          const std::uint64_t expected = known->second + (op.type == wal::OpType::kUpdate ? 1 : 0);
          if (known->second == 0) {
            problem("WAL LSN " + std::to_string(lsn) + ": " + std::string(operation_name(op.type)) + " of \"" + op.key +
                    "\", which an earlier record deleted");
          } else if (op.version != expected) {
            problem("WAL LSN " + std::to_string(lsn) + ": " + std::string(operation_name(op.type)) + " of \"" + op.key +
                    "\" has version " + std::to_string(op.version) + ", expected " + std::to_string(expected) +
                    " (its version before was " + std::to_string(known->second) + ")");
          }
        }
      }
      if (op.type == wal::OpType::kInsert || op.type == wal::OpType::kUpdate) versions[op.key] = op.version;
      if (op.type == wal::OpType::kDelete) versions[op.key] = 0;
      if (op.type == wal::OpType::kInsert || op.type == wal::OpType::kUpdate) {
        if (auto doc = value::decode_document(op.document, kCheckMaxDepth); !doc) {
          problem("WAL LSN " + std::to_string(lsn) + ": the document of \"" + op.key +
                  "\" does not decode: " + doc.status().detail());
        }
        if (op.type == wal::OpType::kInsert && op.version != 1) {
          problem("WAL LSN " + std::to_string(lsn) + ": insert of \"" + op.key + "\" has version " +
                  std::to_string(op.version));
        }
      }
      ++lsn;
    }
    return Status::ok();
  });
  if (read) {
    result.records = read->records;
    result.segments = read->segments.size();
    if (read->torn_tail) {
      torn_tail_at = read->torn_tail->path + " at offset " + std::to_string(read->torn_tail->offset);
      const std::uint64_t first_lost = wal::torn_tail_first_lsn(*read);
      if (applied_lsn && first_lost <= floor) {
        // RocksDB holds those records, so they were written whole: this is
        // damage to the file, not a write a crash interrupted.
        problem("WAL: " + torn_tail_at + ": " + read->torn_tail->reason + ", in records RocksDB already " +
                "holds (LSN " + std::to_string(first_lost) + " <= applied_lsn " + std::to_string(floor) +
                "): nothing is lost, but the file is damaged (a writable open cuts it off)");
      } else {
        result.notes.push_back("torn WAL tail (never acknowledged; a writable open truncates it): " +
                               read->torn_tail->path + " at byte " + std::to_string(read->torn_tail->offset) + ", " +
                               read->torn_tail->reason);
      }
    }
  } else {
    problem("WAL: " + read.status().message());
    read_log_error = read.status().message();
  }

  // Every retained segment's checksums, also those of records RocksDB
  // already holds: the read above stops caring about those once they lie
  // below applied_lsn, but damage there is still damage in the files.
  if (auto checks = wal::check_segments(env, wal_dir); checks) {
    for (const wal::SegmentCheck& check : *checks) {
      ++result.checked_segments;
      result.checked_records += check.records;
      if (check.damage.empty()) continue;
      const std::string where = check.path + " at offset " + std::to_string(check.damage_offset);
      if (torn_tail_at == where || read_log_error.find(where) != std::string::npos) continue;  // reported above
      problem("WAL segment " + where + ": " + check.damage + " (" + std::to_string(check.records) +
              " valid records before it)");
    }
  } else {
    problem("WAL: " + checks.status().message());
  }
  return result;
}

// Per index: (key, id) of every document the rebuilt index holds. Only keys
// are kept, never whole documents, so memory stays near the keys' size.
struct DocumentCheck::Rebuilt {
  std::vector<std::vector<index::FieldPath>> paths;
  std::vector<index::Predicate> predicates;
  std::vector<bool> unique;
  std::vector<std::vector<std::pair<index::Key, std::string>>> entries;
  std::unordered_set<std::uint64_t> revisions;
};

DocumentCheck::DocumentCheck(std::uint64_t revision, const std::vector<IndexDefinition>& indexes)
    : revision_(revision), rebuilt_(std::make_unique<Rebuilt>()) {
  for (const IndexDefinition& d : indexes) {
    rebuilt_->paths.push_back(index::parse_field_paths(d.fields));
    rebuilt_->predicates.emplace_back(d.options.partial);
    rebuilt_->unique.push_back(d.options.unique);
  }
  rebuilt_->entries.resize(indexes.size());
}

DocumentCheck::~DocumentCheck() = default;

std::optional<Object> DocumentCheck::check(const StoredDocument& doc,
                                           const std::function<void(std::string)>& problem) {
  const std::string id(doc.id);
  auto data = value::decode_document(doc.document, kCheckMaxDepth);
  if (!data) problem("document \"" + id + "\" does not decode: " + data.status().detail());
  if (doc.version == 0) problem("document \"" + id + "\" has version 0");
  if (doc.revision == 0 || doc.revision > revision_) {
    problem("document \"" + id + "\" has revision " + std::to_string(doc.revision) + ", outside 1.." +
            std::to_string(revision_));
  }
  // Each revision is one operation on one document.
  if (!rebuilt_->revisions.insert(doc.revision).second) {
    problem("document \"" + id + "\" has revision " + std::to_string(doc.revision) +
            ", which another document has too");
  }
  if (!data) return std::nullopt;
  for (std::size_t i = 0; i < rebuilt_->paths.size(); ++i) {
    if (!rebuilt_->predicates[i].matches(*data)) continue;
    if (auto key = index::extract_key(*data, rebuilt_->paths[i])) rebuilt_->entries[i].emplace_back(std::move(*key), id);
  }
  return std::move(*data);
}

std::vector<std::string> DocumentCheck::rebuilt_index(std::size_t i) {
  std::vector<std::pair<index::Key, std::string>>& entries = rebuilt_->entries.at(i);
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    const int c = index::compare_keys(a.first, b.first);
    return c != 0 ? c < 0 : a.second < b.second;
  });
  std::vector<std::string> ids;
  ids.reserve(entries.size());
  for (const auto& entry : entries) ids.push_back(entry.second);
  return ids;
}

std::optional<std::string> DocumentCheck::duplicate_key(std::size_t i) {
  if (!rebuilt_->unique.at(i)) return std::nullopt;
  (void)rebuilt_index(i);  // sorts the entries by key
  const auto& entries = rebuilt_->entries[i];
  for (std::size_t e = 1; e < entries.size(); ++e) {
    if (index::compare_keys(entries[e - 1].first, entries[e].first) == 0) {
      return "ids \"" + entries[e - 1].second + "\" and \"" + entries[e].second + "\" both have the key " +
             to_json(Value(Array(entries[e].first.begin(), entries[e].first.end())));
    }
  }
  return std::nullopt;
}

Result<WalListing> list_wal(const std::string& dir, std::uint64_t applied_lsn, std::uint64_t from, std::uint64_t to,
                            const std::function<void(const WalEntry&)>& visit) {
  wal::Env* env = wal::Env::posix();
  const std::string wal_dir = wal_dir_path(dir);
  // Gaps and damage below the mirror's applied_lsn are harmless (read_log).
  auto read = wal::read_log(env, wal_dir, applied_lsn, [&](const wal::Batch& batch) -> Status {
    std::uint64_t lsn = batch.first_lsn;
    for (const wal::Operation& op : batch.ops) {
      const std::uint64_t this_lsn = lsn++;
      if (this_lsn < from || this_lsn > to) continue;
      WalEntry entry;
      entry.lsn = this_lsn;
      entry.batch_lsn = batch.first_lsn;
      entry.op = operation_name(op.type);
      entry.on_index = op.type == wal::OpType::kCreateIndex || op.type == wal::OpType::kDropIndex;
      entry.key = op.key;
      entry.version = op.version;
      entry.bytes = op.document.size();
      entry.fields = &op.fields;
      entry.index_options = &op.index_options;
      visit(entry);
    }
    return Status::ok();
  });
  if (!read) return read.status();
  const wal::ReadSummary& summary = *read;
  WalListing listing;
  listing.records = summary.records;
  listing.segments = summary.segments.size();
  listing.first_lsn = summary.first_lsn;
  listing.last_lsn = summary.last_lsn;
  if (summary.torn_tail) {
    listing.torn_tail = WalTornTail{summary.torn_tail->path, summary.torn_tail->offset, summary.torn_tail->bytes,
                                    summary.torn_tail->reason};
  }
  // Damage that read_log passes over because the mirror holds those LSNs
  // (a sealed segment below applied_lsn) is still damage: say so, with
  // file and offset, rather than start the listing silently after it.
  auto checks = wal::check_segments(env, wal_dir);
  if (!checks) return checks.status();
  if (summary.torn_tail && applied_lsn > 0 && wal::torn_tail_first_lsn(summary) <= applied_lsn) {
    listing.damage.push_back(summary.torn_tail->path + " at offset " + std::to_string(summary.torn_tail->offset) +
                             ": " + summary.torn_tail->reason + ", in records RocksDB already holds (LSN " +
                             std::to_string(wal::torn_tail_first_lsn(summary)) + " <= applied_lsn " +
                             std::to_string(applied_lsn) + "): not a torn write");
  }
  for (const wal::SegmentCheck& check : *checks) {
    if (check.damage.empty()) continue;
    if (summary.torn_tail && summary.torn_tail->path == check.path && summary.torn_tail->offset == check.damage_offset)
      continue;
    listing.damage.push_back(check.path + " at offset " + std::to_string(check.damage_offset) + ": " + check.damage +
                             " (the records from there to the end of that segment are not listed)");
  }
  return listing;
}

}  // namespace snapstore::recovery
