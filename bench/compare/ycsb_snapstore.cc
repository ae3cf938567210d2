// snapstore's YCSB binding, durable `none` and in memory. snapstore chooses
// its documents' ids, so the client keeps the id each insert returned per
// key number (as an application keeps the ids it was given) and reads,
// updates and read-modify-writes go by id. Each record carries its YCSB key
// in the field "key", indexed by "by_key" for workload E: a scan of L
// records from key K is a lookup_range_view over the index, block by block
// (keys sharing their first p digits; p chosen so a block holds ~100
// records) until L views are in hand, of which the first L are copied out.
//
//   read:               get (a deep copy)
//   update:             get, set one field, update (snapstore has no partial update)
//   read-modify-write:  get, set one field, update_if(version), again on VersionConflict
#include <array>
#include <atomic>
#include <cmath>
#include <mutex>

#include "bench/compare/ycsb.h"
#include "snapstore/store.h"

namespace compare::ycsb {

namespace {

using snapstore::Document;
using snapstore::Store;

constexpr const char* kKeyIndex = "by_key";

// Key number -> id, written by inserts and read by any thread once the
// insert is acknowledged (AcknowledgedCounter's mutex orders the two).
class IdTable {
 public:
  IdTable() : chunks_(kChunks) {}
  ~IdTable() {
    for (auto& chunk : chunks_) delete chunk.load();
  }
  IdTable(const IdTable&) = delete;
  IdTable& operator=(const IdTable&) = delete;

  void set(std::uint64_t keynum, std::string id) { slot(keynum, true) = std::move(id); }
  const std::string& get(std::uint64_t keynum) { return slot(keynum, false); }

 private:
  static constexpr std::uint64_t kChunkBits = 16;
  static constexpr std::uint64_t kChunks = std::uint64_t{1} << 16;  // 2^32 key numbers
  using Chunk = std::array<std::string, std::size_t{1} << kChunkBits>;

  std::string& slot(std::uint64_t keynum, bool create) {
    const std::uint64_t index = keynum >> kChunkBits;
    if (index >= kChunks) bench::die("ycsb: key number beyond the id table");
    Chunk* chunk = chunks_[index].load(std::memory_order_acquire);
    if (chunk == nullptr) {
      if (!create) bench::die("ycsb: read of a key number never inserted");
      const std::lock_guard<std::mutex> lock(grow_);
      chunk = chunks_[index].load(std::memory_order_acquire);
      if (chunk == nullptr) {
        chunk = new Chunk();
        chunks_[index].store(chunk, std::memory_order_release);
      }
    }
    return (*chunk)[keynum & ((std::uint64_t{1} << kChunkBits) - 1)];
  }

  std::vector<std::atomic<Chunk*>> chunks_;
  std::mutex grow_;
};

template <typename T>
T must(snapstore::Result<T> result, const char* step) {
  if (!result) bench::die(std::string("snapstore ") + step + ": " + result.status().message());
  return std::move(result).value();
}

class SnapstoreDatabase;

class SnapstoreClient : public Client {
 public:
  explicit SnapstoreClient(SnapstoreDatabase& db) : db_(db) {}
  void insert(std::uint64_t keynum, const std::string& key, const Document& doc) override;
  void read(std::uint64_t keynum, const std::string& key) override;
  void update(std::uint64_t keynum, const std::string& key, const FieldUpdate& update) override;
  std::uint64_t scan(std::uint64_t keynum, const std::string& key, std::uint64_t length) override;
  void read_modify_write(std::uint64_t keynum, const std::string& key, const FieldUpdate& update) override;

 private:
  SnapstoreDatabase& db_;
};

class SnapstoreDatabase : public Database {
 public:
  explicit SnapstoreDatabase(Store store) : store_(std::move(store)) {}
  ~SnapstoreDatabase() override { store_.close(); }

  void load(Shape shape, std::uint64_t records) override {
    constexpr std::uint64_t kBatch = 1000;
    snapstore::WriteBatch batch;
    for (std::uint64_t first = 0; first < records; first += kBatch) {
      batch.clear();
      const std::uint64_t end = std::min(records, first + kBatch);
      for (std::uint64_t keynum = first; keynum < end; ++keynum) batch.insert(record(shape, keynum, true));
      const std::vector<snapstore::WriteResult> written = must(store_.write(batch), "load");
      for (std::uint64_t keynum = first; keynum < end; ++keynum) ids_.set(keynum, written[keynum - first].id);
    }
    records_ = records;
  }

  void prepare_scans() override {
    const snapstore::Status created = store_.create_index(kKeyIndex, {"key"});
    if (!created) bench::die("snapstore create_index by_key: " + created.message());
    // Blocks of keys sharing their first p digits hold about N * 10.8 / 10^p
    // records (FNV hashes are uniform below 2^63, ~9.2e18): ~100 each.
    const double digits = std::log10(static_cast<double>(std::max<std::uint64_t>(records_, 1)) * 10.8 / 100);
    prefix_digits_ = std::max(1, static_cast<int>(std::lround(digits)));
  }

  bool wants_key_field() const override { return true; }

  std::unique_ptr<Client> client(int, int) override { return std::make_unique<SnapstoreClient>(*this); }

  Store& store() { return store_; }
  IdTable& ids() { return ids_; }
  int prefix_digits() const { return prefix_digits_; }

 private:
  Store store_;
  IdTable ids_;
  std::uint64_t records_ = 0;
  int prefix_digits_ = 1;
};

void SnapstoreClient::insert(std::uint64_t keynum, const std::string&, const Document& doc) {
  db_.ids().set(keynum, must(db_.store().insert(doc), "insert").id);
}

void SnapstoreClient::read(std::uint64_t keynum, const std::string&) {
  const snapstore::DocumentResult doc = must(db_.store().get(db_.ids().get(keynum)), "get");
  if (doc.data.empty()) bench::die("snapstore get: an empty record");
}

void SnapstoreClient::update(std::uint64_t keynum, const std::string&, const FieldUpdate& update) {
  const std::string& id = db_.ids().get(keynum);
  snapstore::DocumentResult doc = must(db_.store().get(id), "get");
  apply(doc.data, update);
  must(db_.store().update(id, doc.data), "update");
}

void SnapstoreClient::read_modify_write(std::uint64_t keynum, const std::string&, const FieldUpdate& update) {
  const std::string& id = db_.ids().get(keynum);
  for (;;) {
    snapstore::DocumentResult doc = must(db_.store().get(id), "get");
    apply(doc.data, update);
    auto written = db_.store().update_if(id, doc.data, doc.version);
    if (written) return;
    if (written.code() != snapstore::StatusCode::kVersionConflict) {
      bench::die("snapstore update_if: " + written.status().message());
    }
  }
}

std::uint64_t SnapstoreClient::scan(std::uint64_t, const std::string& key, std::uint64_t length) {
  KeyBlocks blocks(key, db_.prefix_digits());
  std::vector<snapstore::DocumentView> views;
  do {
    auto block = must(db_.store().lookup_range_view(kKeyIndex, {blocks.lo()}, {blocks.hi()}), "lookup_range_view");
    for (snapstore::DocumentView& view : block) {
      if (views.size() == length) break;
      views.push_back(std::move(view));
    }
  } while (views.size() < length && blocks.next());
  for (const snapstore::DocumentView& view : views) {
    if (view.to_document().empty()) bench::die("snapstore scan: an empty record");
  }
  return views.size();
}

}  // namespace

std::vector<Binding> snapstore_bindings() {
  return {
      {"snapstore none", Role::kReference,
       [](const std::filesystem::path& dir) -> std::unique_ptr<Database> {
         snapstore::Options options;
         options.durability = snapstore::Durability::kNone;
         return std::make_unique<SnapstoreDatabase>(must(Store::open(dir.string(), options), "open"));
       }},
      {"snapstore in memory", Role::kSnapstore,
       [](const std::filesystem::path&) -> std::unique_ptr<Database> {
         return std::make_unique<SnapstoreDatabase>(must(Store::open_in_memory(), "open_in_memory"));
       }},
  };
}

}  // namespace compare::ycsb
