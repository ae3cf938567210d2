// StoreReader: RocksDB read-only plus the WAL overlay (see store_reader.h).
#include "recovery/store_reader.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include "index/key.h"
#include "index/lookup_plan.h"
#include "index/predicate.h"
#include "recovery/mirror_families.h"
#include "recovery/mirror_format.h"
#include "recovery/replay.h"
#include "recovery/rocksdb_logger.h"
#include "recovery/rocksdb_status.h"
#include "recovery/store_dir.h"
#include "value/msgpack_codec.h"
#include "value/msgpack_scan.h"

namespace snapstore::recovery {

// The WAL's effects after applied_lsn, by id, and the index definitions.
class StoreReader::OverlayBuilder final : public OperationVisitor {
 public:
  OverlayBuilder(std::map<std::string, Overlay, std::less<>>& overlay,
                 std::map<std::string, IndexFieldsAndOptions>& definitions)
      : overlay_(overlay), definitions_(definitions) {}

  Status put(const wal::Operation& op, std::uint64_t lsn) override {
    overlay_.insert_or_assign(op.key, Overlay{false, op.version, lsn, op.document});
    return Status::ok();
  }
  Status remove(const wal::Operation& op, std::uint64_t lsn) override {
    overlay_.insert_or_assign(op.key, Overlay{true, op.version, lsn, {}});
    return Status::ok();
  }
  Status create_index(const wal::Operation& op, std::uint64_t) override {
    definitions_.insert_or_assign(op.key, IndexFieldsAndOptions{op.fields, op.index_options});
    return Status::ok();
  }
  Status drop_index(const wal::Operation& op, std::uint64_t) override {
    definitions_.erase(op.key);
    return Status::ok();
  }

 private:
  std::map<std::string, Overlay, std::less<>>& overlay_;
  std::map<std::string, IndexFieldsAndOptions>& definitions_;
};

StoreReader::~StoreReader() {
  if (db_) {
    for (auto* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
    db_->Close();
  }
  if (live_ && !live_->secondary_dir.empty()) {
    std::error_code ignored;  // a leftover temporary directory is not worth failing a close for
    std::filesystem::remove_all(live_->secondary_dir, ignored);
  }
}

Result<std::unique_ptr<StoreReader>> StoreReader::open(const std::string& dir, bool salvage_wal) {
  wal::Env* env = wal::Env::posix();
  const std::string db_dir = db_dir_path(dir);
  const std::string wal_dir = wal_dir_path(dir);
  if (!is_store(env, dir)) return Status::invalid_argument("no store at " + dir + " (no db/ directory)");
  std::unique_ptr<StoreReader> reader(new StoreReader());
  reader->dir_ = dir;

  rocksdb::DBOptions db_options;
  db_options.paranoid_checks = true;
  use_store_info_log(db_options, db_dir, /*read_only=*/true);
  const std::vector<rocksdb::ColumnFamilyDescriptor> families = mirror_column_families();
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::OpenForReadOnly(db_options, db_dir, families, &reader->handles_, &db);
  if (!s.ok()) return from_rocksdb(s, "open RocksDB at " + db_dir);
  reader->db_.reset(db);
  reader->docs_ = reader->handles_[1];
  reader->meta_ = reader->handles_[2];

  std::map<std::string, IndexFieldsAndOptions> definitions;
  if (Status status = reader->read_meta(reader->applied_lsn_, definitions); !status) return status;

  // The WAL after applied_lsn, applied to an overlay exactly as open replays
  // it; the records RocksDB holds are not decoded (deletions_since() reads
  // them when asked).
  OverlayBuilder overlay(reader->overlay_, definitions);
  auto replay = replay_wal(env, wal_dir, reader->applied_lsn_, salvage_wal,
                           [&](const wal::Batch& batch) { return visit_operations(batch, overlay); });
  if (!replay) return replay.status();
  const std::uint64_t last_lsn = replay->last_lsn;
  reader->wal_ = std::move(replay->summary);
  reader->revision_ = last_lsn;
  reader->dir_ = dir;
  reader->salvage_wal_ = salvage_wal;
  for (auto& [name, definition] : definitions) {
    reader->indexes_.push_back({name, std::move(definition.fields), std::move(definition.options)});
  }
  return reader;
}

Status StoreReader::read_meta(std::uint64_t& applied_lsn,
                              std::map<std::string, IndexFieldsAndOptions>& definitions) const {
  const std::string db_dir = db_dir_path(dir_);
  rocksdb::ReadOptions read_options;
  read_options.verify_checksums = true;
  std::string value;
  rocksdb::Status s = db_->Get(read_options, meta_, kFormatVersionKey, &value);
  if (!s.ok()) return from_rocksdb(s, db_dir + ": read the snapstore format version");
  if (value.size() != 4 || get_fixed32(value.data()) != kMirrorFormatVersion) {
    return Status::corruption(db_dir + ": unsupported snapstore mirror format version");
  }
  applied_lsn = 0;
  s = db_->Get(read_options, meta_, kAppliedLsnKey, &value);
  if (s.ok()) {
    if (value.size() != 8) return Status::corruption(db_dir + ": applied_lsn is not 8 bytes");
    applied_lsn = get_fixed64(value.data());
  } else if (!s.IsNotFound()) {
    return from_rocksdb(s, "read applied_lsn in " + db_dir);
  }
  definitions.clear();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, meta_));
  for (it->Seek(kIndexKeyPrefix); it->Valid() && it->key().starts_with(kIndexKeyPrefix); it->Next()) {
    std::string name = it->key().ToString().substr(kIndexKeyPrefix.size());
    auto fields = decode_index_fields(std::string_view(it->value().data(), it->value().size()));
    if (!fields) return Status::corruption("index \"" + name + "\" in RocksDB: " + fields.status().detail());
    definitions.emplace(std::move(name), std::move(*fields));
  }
  if (!it->status().ok()) return from_rocksdb(it->status(), "read index definitions in " + db_dir);
  return Status::ok();
}

namespace {

// The WAL's operations after `floor` applied to the overlay (OverlayBuilder),
// with index operations also kept for the next re-read of RocksDB.
class LiveVisitor final : public OperationVisitor {
 public:
  LiveVisitor(OperationVisitor& overlay, std::vector<std::pair<std::uint64_t, wal::Operation>>& index_ops,
              std::uint64_t floor)
      : overlay_(overlay), index_ops_(index_ops), floor_(floor) {}

  Status put(const wal::Operation& op, std::uint64_t lsn) override {
    return lsn <= floor_ ? Status::ok() : overlay_.put(op, lsn);
  }
  Status remove(const wal::Operation& op, std::uint64_t lsn) override {
    return lsn <= floor_ ? Status::ok() : overlay_.remove(op, lsn);
  }
  Status create_index(const wal::Operation& op, std::uint64_t lsn) override {
    if (lsn <= floor_) return Status::ok();
    index_ops_.emplace_back(lsn, op);
    return overlay_.create_index(op, lsn);
  }
  Status drop_index(const wal::Operation& op, std::uint64_t lsn) override {
    if (lsn <= floor_) return Status::ok();
    index_ops_.emplace_back(lsn, op);
    return overlay_.drop_index(op, lsn);
  }

 private:
  OperationVisitor& overlay_;
  std::vector<std::pair<std::uint64_t, wal::Operation>>& index_ops_;
  const std::uint64_t floor_;
};

// How often catch_up() re-reads RocksDB when checkpoints keep retiring the
// segments it needs, or compactions the files it is about to open (each
// retry needs another one to land meanwhile); about 0.4 s of pauses in all.
constexpr int kCatchUpAttempts = 30;

}  // namespace

Result<std::unique_ptr<StoreReader>> StoreReader::open_live(const std::string& dir) {
  wal::Env* env = wal::Env::posix();
  if (!path_exists(dir)) return Status::invalid_argument("no store at " + dir + ": the directory does not exist");
  if (!is_store(env, dir)) return Status::invalid_argument("no store at " + dir + " (no db/ directory)");
  std::unique_ptr<StoreReader> reader(new StoreReader());
  reader->dir_ = dir;
  reader->live_ = std::make_unique<Live>();

  // The secondary instance keeps its own files outside the store, in a
  // directory of its own that the destructor removes.
  std::error_code error;
  const std::filesystem::path temp = std::filesystem::temp_directory_path(error);
  if (error) return Status::io_error("find the temporary directory: " + error.message());
  std::string secondary = (temp / "snapstore-follower-XXXXXX").string();
  if (::mkdtemp(secondary.data()) == nullptr) {
    return Status::io_error("create a temporary directory in " + temp.string() + ": " + std::strerror(errno));
  }
  reader->live_->secondary_dir = secondary;

  const std::string db_dir = db_dir_path(dir);
  rocksdb::DBOptions db_options;
  db_options.paranoid_checks = true;
  db_options.max_open_files = -1;  // OpenAsSecondary requires it: files the owner deletes stay readable
  use_store_info_log(db_options, secondary, /*read_only=*/true);
  rocksdb::DB* db = nullptr;
  rocksdb::Status s;
  for (int attempt = 0; attempt < kCatchUpAttempts; ++attempt) {
    // As in catch_up(): the owner may delete a file RocksDB is about to open.
    s = rocksdb::DB::OpenAsSecondary(db_options, db_dir, secondary, mirror_column_families(), &reader->handles_, &db);
    if (s.ok() || !s.IsIOError()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(attempt, 20)));
  }
  if (!s.ok()) return from_rocksdb(s, "open RocksDB at " + db_dir + " as a secondary instance");
  reader->db_.reset(db);
  reader->docs_ = reader->handles_[1];
  reader->meta_ = reader->handles_[2];
  reader->live_->tail = std::make_unique<wal::LogTail>(env, wal_dir_path(dir), 1);
  reader->revision_ = 0;
  reader->applied_lsn_ = 0;
  if (Status status = reader->catch_up(); !status) return status;
  return reader;
}

Status StoreReader::catch_up() {
  if (!live_) return Status::invalid_argument("catch_up: this reader was not opened with open_live");
  Status last;
  for (int attempt = 0; attempt < kCatchUpAttempts; ++attempt) {
    bool retry = false;
    last = catch_up_once(retry);
    if (!retry) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(attempt, 20)));
  }
  return last;
}

Status StoreReader::catch_up_once(bool& retry) {
  retry = false;
  if (const rocksdb::Status s = db_->TryCatchUpWithPrimary(); !s.ok()) {
    // A file the owner deleted between RocksDB's listing and its open: the
    // next attempt reads the newer MANIFEST.
    retry = true;
    return from_rocksdb(s, "catch up with RocksDB at " + db_dir_path(dir_));
  }
  std::uint64_t applied = 0;
  std::map<std::string, IndexFieldsAndOptions> definitions;
  if (Status s = read_meta(applied, definitions); !s) return s;

  // What RocksDB now holds replaces the overlay's older entries; the WAL
  // after it is read from where the tail stands, or from RocksDB's state
  // when that is newer than everything read so far.
  Live& live = *live_;
  if (applied > applied_lsn_) {  // a walk of the whole overlay, only when RocksDB moved
    std::erase_if(overlay_, [&](const auto& entry) { return entry.second.revision <= applied; });
    std::erase_if(live.index_ops, [&](const auto& op) { return op.first <= applied; });
  }
  for (const auto& [lsn, op] : live.index_ops) {
    if (op.type == wal::OpType::kCreateIndex) {
      definitions.insert_or_assign(op.key, IndexFieldsAndOptions{op.fields, op.index_options});
    } else {
      definitions.erase(op.key);
    }
  }
  live.definitions = std::move(definitions);
  applied_lsn_ = applied;
  if (applied > revision_) {
    revision_ = applied;
    live.tail->reset(applied + 1);
  }

  OverlayBuilder builder(overlay_, live.definitions);
  Status status;
  auto progress = live.tail->poll([&](const wal::Batch& batch) {
    LiveVisitor visitor(builder, live.index_ops, revision_);
    if (Status s = visit_operations(batch, visitor); !s) return s;
    revision_ = std::max(revision_, batch.last_lsn());
    return Status::ok();
  });
  if (!progress) {
    // A gap may be segments a checkpoint retired while they were read:
    // RocksDB then holds what they held.
    retry = progress.code() == StatusCode::kCorruption;
    status = progress.status();
  } else if (progress->retired) {
    retry = true;
    status = Status::corruption("the WAL no longer holds LSN " + std::to_string(live.tail->next_lsn()) +
                                " and RocksDB does not hold it yet (oldest in the WAL: " +
                                std::to_string(progress->oldest_lsn) + ")");
  }

  indexes_.clear();
  for (const auto& [name, definition] : live.definitions) indexes_.push_back({name, definition.fields, definition.options});
  wal_ = wal::ReadSummary{};
  if (auto segments = wal::list_segments(wal::Env::posix(), wal_dir_path(dir_)); segments) {
    wal_.segments = std::move(*segments);
    if (!wal_.segments.empty()) wal_.first_lsn = std::max(wal_.segments.front().first_lsn, applied + 1);
  }
  if (wal_.first_lsn > revision_) wal_.first_lsn = 0;
  wal_.last_lsn = wal_.first_lsn == 0 ? 0 : revision_;
  return status;
}

Result<std::unique_ptr<StoreReader>> StoreReader::open_locked(const std::string& dir,
                                                             std::chrono::milliseconds lock_timeout) {
  // Refuses a directory that holds no store before locking anything in it.
  auto store_dir = StoreDir::open_for_reading(dir, lock_timeout);
  if (!store_dir) return store_dir.status();
  auto reader = open(dir);
  if (!reader) return reader.status();
  (*reader)->store_dir_ = std::move(*store_dir);
  return reader;
}

namespace {

// The nesting a stored document may have: Options::max_nesting_depth's
// default, which a CLI-opened store uses too.
constexpr std::size_t kMaxDepth = 100;

std::string quoted_id(std::string_view id) { return "id \"" + std::string(id) + "\""; }

// `bytes` as a document ValueViews may read: unchanged when they pass
// check_document, else re-encoded into `scratch` (another writer's key
// order); Corruption naming the id when they are not a document.
Result<std::string_view> checked(std::string_view id, std::string_view bytes, std::string& scratch) {
  if (value::scan::check_document(bytes, kMaxDepth)) return bytes;
  scratch.assign(bytes);
  if (Status s = value::make_checked_document(scratch, kMaxDepth); !s) {
    return Status::corruption("stored " + quoted_id(id) + ": " + s.message());
  }
  return std::string_view(scratch);
}

ValueView view_of(std::string_view checked_bytes) {
  return detail::ViewAccess::of(value::scan::bytes_of(checked_bytes));
}

bool has_null(const std::vector<Value>& values) {
  return std::any_of(values.begin(), values.end(), [](const Value& v) { return v.is_null(); });
}

}  // namespace

Result<DocumentResult> StoreReader::get(std::string_view id) const {
  std::string bytes;
  DocumentResult result;
  result.id = std::string(id);
  if (const auto it = overlay_.find(id); it != overlay_.end()) {
    if (it->second.deleted) return Status::document_not_found(quoted_id(id));
    bytes = it->second.document;
    result.version = it->second.version;
    result.revision = it->second.revision;
  } else {
    rocksdb::ReadOptions read_options;
    read_options.verify_checksums = true;
    std::string value;
    const rocksdb::Status s = db_->Get(read_options, docs_, rocksdb::Slice(id.data(), id.size()), &value);
    if (s.IsNotFound()) return Status::document_not_found(quoted_id(id));
    if (!s.ok()) return from_rocksdb(s, "read " + quoted_id(id) + " in RocksDB");
    if (value.size() < kDocHeaderSize) {
      return Status::corruption("document \"" + std::string(id) + "\" in RocksDB: value of " +
                                std::to_string(value.size()) + " bytes is shorter than its header");
    }
    result.version = get_fixed64(value.data());
    result.revision = get_fixed64(value.data() + 8);
    bytes = value.substr(kDocHeaderSize);
  }
  if (Status s = value::make_checked_document(bytes, kMaxDepth); !s) {
    return Status::corruption("stored " + quoted_id(id) + ": " + s.message());
  }
  result.data = value::scan::decode_object(value::scan::bytes_of(bytes));
  return result;
}

Result<IndexDefinition> StoreReader::index(std::string_view name) const {
  for (const IndexDefinition& definition : indexes_) {
    if (definition.name == name) return definition;
  }
  return Status::index_not_found("index \"" + std::string(name) + "\"");
}

Result<std::vector<StoreReader::Match>> StoreReader::select(std::string_view name, const KeyFilter& keep,
                                                            bool count_only, std::uint64_t* counted) const {
  auto definition = index(name);
  if (!definition) return definition.status();
  const std::vector<index::FieldPath> paths = index::parse_field_paths(definition->fields);
  const index::Predicate predicate(definition->options.partial);
  std::vector<Match> matches;
  std::uint64_t n = 0;
  index::Key scratch;
  std::string recoded;
  Status scanned = scan([&](const StoredDocument& doc) -> Status {
    auto bytes = checked(doc.id, doc.document, recoded);
    if (!bytes) return bytes.status();
    auto key = index::member_key_values(view_of(*bytes), paths, predicate, scratch);
    if (!key) return Status::ok();
    if (!keep(*key)) return Status::ok();
    ++n;
    if (!count_only) {
      // key_values may leave the values in place (one field): own them.
      matches.push_back(Match{std::vector<Value>(key->begin(), key->end()), std::string(doc.id), doc.version,
                              doc.revision, std::string(*bytes)});
    }
    return Status::ok();
  });
  if (!scanned) return scanned;
  // The scan ran in id order, so a stable sort by key leaves ties in id
  // order, as the index's (key, id) order has them.
  std::stable_sort(matches.begin(), matches.end(),
                   [](const Match& a, const Match& b) { return index::compare_keys(a.key, b.key) < 0; });
  if (counted != nullptr) *counted = n;
  return matches;
}

Status StoreReader::visit_all(std::vector<Match> matches, const ResultVisitor& visit) {
  for (Match& m : matches) {
    DocumentResult doc{std::move(m.id), value::scan::decode_object(value::scan::bytes_of(m.document)), m.version,
                       m.revision};
    // Each match's bytes go as soon as it is handed out.
    m = Match{};
    if (Status s = visit(doc); !s) return s;
  }
  return Status::ok();
}

namespace {

// find_equal's and find_range's filters (index/ordered_index.cc).
std::function<bool(index::KeyValues)> equal_filter(const std::vector<Value>& values) {
  return [&values](index::KeyValues key) { return index::compare_keys(key, values) == 0; };
}

std::function<bool(index::KeyValues)> range_filter(const std::vector<Value>& min, const std::vector<Value>& max) {
  return [&min, &max](index::KeyValues key) {
    return (min.empty() || index::compare_to_bound(key, min) >= 0) &&
           (max.empty() || index::compare_to_bound(key, max) <= 0);
  };
}

}  // namespace

Status StoreReader::visit_equal(std::string_view name, const std::vector<Value>& values,
                                const ResultVisitor& visit) const {
  auto definition = index(name);
  if (!definition) return definition.status();
  if (values.size() != definition->fields.size() || has_null(values)) return Status::ok();
  auto matches = select(name, equal_filter(values), false, nullptr);
  if (!matches) return matches.status();
  return visit_all(std::move(*matches), visit);
}

Status StoreReader::visit_range(std::string_view name, const std::vector<Value>& min, const std::vector<Value>& max,
                                const ResultVisitor& visit) const {
  auto matches = select(name, range_filter(min, max), false, nullptr);
  if (!matches) return matches.status();
  return visit_all(std::move(*matches), visit);
}

Result<std::vector<DocumentResult>> StoreReader::lookup(std::string_view name, const std::vector<Value>& values) const {
  std::vector<DocumentResult> results;
  Status s = visit_equal(name, values, [&](const DocumentResult& doc) {
    results.push_back(doc);
    return Status::ok();
  });
  if (!s) return s;
  return results;
}

Result<std::vector<DocumentResult>> StoreReader::lookup_range(std::string_view name, const std::vector<Value>& min,
                                                              const std::vector<Value>& max) const {
  std::vector<DocumentResult> results;
  Status s = visit_range(name, min, max, [&](const DocumentResult& doc) {
    results.push_back(doc);
    return Status::ok();
  });
  if (!s) return s;
  return results;
}

Result<std::uint64_t> StoreReader::count_equal(std::string_view name, const std::vector<Value>& values) const {
  auto definition = index(name);
  if (!definition) return definition.status();
  if (values.size() != definition->fields.size() || has_null(values)) return std::uint64_t{0};
  std::uint64_t n = 0;
  if (auto matches = select(name, equal_filter(values), true, &n); !matches) return matches.status();
  return n;
}

Result<std::uint64_t> StoreReader::count_range(std::string_view name, const std::vector<Value>& min,
                                               const std::vector<Value>& max) const {
  std::uint64_t n = 0;
  if (auto matches = select(name, range_filter(min, max), true, &n); !matches) return matches.status();
  return n;
}

namespace {

// Keeps the keys `filter` accepts, then fills the plan's counts from them:
// sorted, equal neighbours are one key.
class KeyCollector {
 public:
  explicit KeyCollector(std::function<bool(index::KeyValues)> filter) : filter_(std::move(filter)) {}
  void add(index::KeyValues key) {
    if (filter_(key)) keys_.emplace_back(key.begin(), key.end());
  }
  void fill(LookupPlan& plan) {
    std::sort(keys_.begin(), keys_.end(),
              [](const index::Key& a, const index::Key& b) { return index::compare_keys(a, b) < 0; });
    plan.documents = keys_.size();
    plan.keys = 0;
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      if (i == 0 || index::compare_keys(keys_[i - 1], keys_[i]) != 0) ++plan.keys;
    }
  }

 private:
  std::function<bool(index::KeyValues)> filter_;
  std::vector<index::Key> keys_;
};

}  // namespace

Result<LookupPlan> StoreReader::explain_equal(std::string_view name, const std::vector<Value>& values) const {
  auto definition = index(name);
  if (!definition) return definition.status();
  LookupPlan plan = index::plan_equal(definition->name, definition->fields, values);
  plan.options = definition->options;
  const bool can_match = plan.empty_reason.empty();
  return explain_scan(name, std::move(plan), equal_filter(values), can_match);
}

Result<LookupPlan> StoreReader::explain_range(std::string_view name, const std::vector<Value>& min,
                                              const std::vector<Value>& max) const {
  auto definition = index(name);
  if (!definition) return definition.status();
  LookupPlan plan = index::plan_range(definition->name, definition->fields, min, max);
  plan.options = definition->options;
  return explain_scan(name, std::move(plan), range_filter(min, max), true);
}

Result<LookupPlan> StoreReader::explain_scan(std::string_view name, LookupPlan plan, const KeyFilter& matches,
                                             bool can_match) const {
  KeyCollector collect(matches);
  // The scan also counts the index's members (a filter that keeps none).
  std::uint64_t members = 0;
  auto scanned = select(
      name,
      [&](index::KeyValues key) {
        ++members;
        if (can_match) collect.add(key);
        return false;
      },
      true, nullptr);
  if (!scanned) return scanned.status();
  collect.fill(plan);
  plan.index_entries = members;
  return plan;
}

Result<std::uint64_t> StoreReader::count() const {
  std::uint64_t n = 0;
  Status scanned = scan([&n](const StoredDocument&) {
    ++n;
    return Status::ok();
  });
  if (!scanned) return scanned;
  return n;
}

Result<StoreTotals> StoreReader::totals() const {
  StoreTotals totals;
  totals.index_entries.assign(indexes_.size(), 0);
  std::vector<std::vector<index::FieldPath>> paths;
  std::vector<index::Predicate> predicates;
  for (const IndexDefinition& definition : indexes_) {
    paths.push_back(index::parse_field_paths(definition.fields));
    predicates.emplace_back(definition.options.partial);
  }
  index::Key scratch;
  std::string recoded;
  Status scanned = scan([&](const StoredDocument& doc) -> Status {
    ++totals.documents;
    totals.document_bytes += doc.document.size();
    if (paths.empty()) return Status::ok();
    auto bytes = checked(doc.id, doc.document, recoded);
    if (!bytes) return bytes.status();
    const ValueView data = view_of(*bytes);
    for (std::size_t i = 0; i < paths.size(); ++i) {
      if (index::member_key_values(data, paths[i], predicates[i], scratch)) ++totals.index_entries[i];
    }
    return Status::ok();
  });
  if (!scanned) return scanned;
  return totals;
}

Status StoreReader::scan(const DocumentVisitor& visit) const { return merge_scan(0, visit); }

Status StoreReader::scan_since(std::uint64_t since, const DocumentVisitor& visit) const {
  return merge_scan(since, visit);
}

Status StoreReader::merge_scan(std::uint64_t since, const DocumentVisitor& visit) const {
  rocksdb::ReadOptions read_options;
  read_options.verify_checksums = true;
  read_options.fill_cache = false;
  read_options.readahead_size = 2 << 20;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, docs_));
  auto pending = overlay_.begin();
  // Emits overlay entries that sort before `bound` (all of them when null).
  auto emit_overlay_before = [&](const std::string_view* bound) -> Status {
    for (; pending != overlay_.end() && (bound == nullptr || std::string_view(pending->first) < *bound); ++pending) {
      const Overlay& o = pending->second;
      if (o.deleted || o.revision <= since) continue;
      if (Status s = visit(StoredDocument{pending->first, o.version, o.revision, o.document}); !s) return s;
    }
    return Status::ok();
  };
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view id(it->key().data(), it->key().size());
    if (Status s = emit_overlay_before(&id); !s) return s;
    if (pending != overlay_.end() && pending->first == id) {
      const Overlay& o = pending->second;
      ++pending;
      if (o.deleted || o.revision <= since) continue;
      if (Status s = visit(StoredDocument{id, o.version, o.revision, o.document}); !s) return s;
      continue;
    }
    const std::string_view value(it->value().data(), it->value().size());
    if (value.size() < kDocHeaderSize) {
      return Status::corruption("document \"" + std::string(id) + "\" in RocksDB: value of " +
                                std::to_string(value.size()) + " bytes is shorter than its header");
    }
    const std::uint64_t revision = get_fixed64(value.data() + 8);
    if (revision <= since) continue;
    if (Status s = visit(StoredDocument{id, get_fixed64(value.data()), revision, value.substr(kDocHeaderSize)}); !s) {
      return s;
    }
  }
  if (!it->status().ok()) return from_rocksdb(it->status(), "scan the documents in RocksDB");
  return emit_overlay_before(nullptr);
}

Result<std::vector<DeletedDocument>> StoreReader::deletions_since(std::uint64_t since) const {
  if (since >= revision_) return std::vector<DeletedDocument>{};
  // Only the WAL remembers deletions: it is read again, as open() read it,
  // this time decoding the records RocksDB already holds too.
  std::vector<DeletedDocument> wal_deletions;  // every delete in the WAL, in LSN order
  std::uint64_t contiguous_from = 0;           // the WAL holds every record from this LSN on
  std::uint64_t previous_last_lsn = 0;
  auto replay = replay_wal(
      wal::Env::posix(), wal_dir_path(dir_), applied_lsn_, salvage_wal_,
      [](const wal::Batch&) { return Status::ok(); },
      [&](const wal::Batch& batch) {
        if (batch.first_lsn > revision_) return;  // read past what open() read: not part of this state
        if (contiguous_from == 0 || batch.first_lsn != previous_last_lsn + 1) contiguous_from = batch.first_lsn;
        previous_last_lsn = batch.last_lsn();
        std::uint64_t lsn = batch.first_lsn;
        for (const wal::Operation& op : batch.ops) {
          if (op.type == wal::OpType::kDelete) wal_deletions.push_back({op.key, lsn});
          ++lsn;
        }
      });
  if (!replay) return replay.status();
  // Deletions are known from the first LSN after which the WAL has no gap.
  // What this read saw counts, not open()'s summary: a live reader's counts
  // no records, and its owner may have retired segments since.
  const std::uint64_t known_from = contiguous_from == 0 ? revision_ + 1 : contiguous_from;
  if (since + 1 < known_from) {
    return Status::invalid_argument("deletions since revision " + std::to_string(since) +
                                    " are no longer known: the WAL only holds revisions from " +
                                    std::to_string(known_from) +
                                    " on (a checkpoint removed older records); dump the whole store instead");
  }
  std::vector<DeletedDocument> deleted;
  for (const DeletedDocument& d : wal_deletions) {
    if (d.revision > since) deleted.push_back(d);
  }
  std::sort(deleted.begin(), deleted.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return deleted;
}

std::uint64_t StoreReader::estimated_documents() const {
  std::uint64_t keys = 0;
  db_->GetIntProperty(docs_, "rocksdb.estimate-num-keys", &keys);
  return keys + overlay_.size();
}

std::string StoreReader::docs_property(std::string_view name) const {
  std::string value;
  if (!db_->GetProperty(docs_, rocksdb::Slice(name.data(), name.size()), &value)) return {};
  return value;
}

Status StoreReader::verify_checksums() const {
  rocksdb::ReadOptions read_options;
  read_options.verify_checksums = true;
  read_options.fill_cache = false;
  if (live_) {
    // VerifyChecksum opens the table files by name, and the owner's
    // compactions delete them; reading every entry through the files the
    // secondary holds open checks the blocks it reads the same way.
    for (rocksdb::ColumnFamilyHandle* family : handles_) {
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, family));
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
      }
      if (!it->status().ok()) return from_rocksdb(it->status(), "RocksDB checksum verification");
    }
    return Status::ok();
  }
  const rocksdb::Status s = db_->VerifyChecksum(read_options);
  if (!s.ok()) return from_rocksdb(s, "RocksDB checksum verification");
  return Status::ok();
}

}  // namespace snapstore::recovery
