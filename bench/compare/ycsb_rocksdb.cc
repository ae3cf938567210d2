// Raw RocksDB's YCSB binding, as YCSB's own rocksdb binding works: the key
// is the YCSB key, the value the record's msgpack bytes; writes with
// sync=false (the WAL is written, not synced: next to snapstore `none`),
// the block cache 1 GiB as in the other rows.
//
//   read:               Get + decode
//   update:             Get + decode, set one field, encode + Put (YCSB's binding merges the same way)
//   scan:               iterator Seek + Next, decode each
//   read-modify-write:  Get + decode, set one field, encode + Put: no transaction, as YCSB's binding
//                       (which even reads the record twice, once for the read and once for the update)
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include "bench/compare/ycsb.h"

namespace compare::ycsb {

namespace {

void check(const rocksdb::Status& status, const char* step) {
  if (!status.ok()) bench::die(std::string("rocksdb ") + step + ": " + status.ToString());
}

class RocksDatabase;

class RocksClient : public Client {
 public:
  explicit RocksClient(rocksdb::DB& db) : db_(db) { write_.sync = false; }

  void insert(std::uint64_t, const std::string& key, const snapstore::Document& doc) override {
    check(db_.Put(write_, key, encode_msgpack(doc)), "put");
  }
  void read(std::uint64_t, const std::string& key) override {
    if (get(key).empty()) bench::die("rocksdb get: an empty record");
  }
  void update(std::uint64_t, const std::string& key, const FieldUpdate& update) override {
    snapstore::Document doc = get(key);
    apply(doc, update);
    check(db_.Put(write_, key, encode_msgpack(doc)), "put");
  }
  std::uint64_t scan(std::uint64_t, const std::string& key, std::uint64_t length) override {
    std::unique_ptr<rocksdb::Iterator> it(db_.NewIterator(rocksdb::ReadOptions()));
    std::uint64_t seen = 0;
    for (it->Seek(key); it->Valid() && seen < length; it->Next()) {
      const snapstore::Document doc = decode_msgpack(std::string_view(it->value().data(), it->value().size()));
      seen += doc.empty() ? 0 : 1;
    }
    check(it->status(), "scan");
    return seen;
  }
  void read_modify_write(std::uint64_t keynum, const std::string& key, const FieldUpdate& field) override {
    update(keynum, key, field);
  }

 private:
  snapstore::Document get(const std::string& key) {
    check(db_.Get(rocksdb::ReadOptions(), key, &bytes_), "get");
    return decode_msgpack(bytes_);
  }
  rocksdb::DB& db_;
  rocksdb::WriteOptions write_;
  std::string bytes_;
};

class RocksDatabase : public Database {
 public:
  explicit RocksDatabase(const std::filesystem::path& dir) {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = rocksdb::NewLRUCache(std::size_t{1} << 30);
    options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    rocksdb::DB* db = nullptr;
    check(rocksdb::DB::Open(options, dir.string(), &db), "open");
    db_.reset(db);
  }
  ~RocksDatabase() override {
    check(db_->Close(), "close");
  }

  void load(Shape shape, std::uint64_t records) override {
    constexpr std::uint64_t kBatch = 1000;
    rocksdb::WriteOptions options;
    options.sync = false;
    for (std::uint64_t first = 0; first < records; first += kBatch) {
      rocksdb::WriteBatch batch;
      for (std::uint64_t keynum = first; keynum < std::min(records, first + kBatch); ++keynum) {
        check(batch.Put(key_name(keynum), encode_msgpack(record(shape, keynum, false))), "batch put");
      }
      check(db_->Write(options, &batch), "write batch");
    }
    // Reads of the runs come from memory, as snapstore's do: the memtables
    // are flushed and the table files read once into the block cache.
    check(db_->Flush(rocksdb::FlushOptions()), "flush");
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
    }
    check(it->status(), "warm-up scan");
  }

  std::unique_ptr<Client> client(int, int) override { return std::make_unique<RocksClient>(*db_); }

 private:
  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace

std::vector<Binding> rocksdb_bindings() {
  return {{"RocksDB (sync=false)", Role::kAlternative,
           [](const std::filesystem::path& dir) -> std::unique_ptr<Database> {
             return std::make_unique<RocksDatabase>(dir);
           }}};
}

}  // namespace compare::ycsb
