// LMDB's YCSB binding (YCSB has none of its own): the YCSB key -> the
// record's msgpack bytes in one B+tree, MDB_NOSYNC (next to snapstore
// `none`). Each client keeps a read transaction, reset and renewed around
// each read or scan; every write is its own write transaction, which LMDB
// serializes.
//
//   read:               get in the read transaction + decode
//   update:             one write transaction: get + decode, set one field, encode + put
//   scan:               a cursor from MDB_SET_RANGE, MDB_NEXT, decode each
//   read-modify-write:  the same single write transaction as update (atomic)
#include <lmdb.h>

#include "bench/compare/ycsb.h"

namespace compare::ycsb {

namespace {

constexpr std::size_t kMapSize = std::size_t{64} << 30;  // sparse: only what is written counts

void check(int rc, const char* step) {
  if (rc != MDB_SUCCESS) bench::die(std::string("lmdb ") + step + ": " + mdb_strerror(rc));
}

MDB_val val_of(std::string_view bytes) { return {bytes.size(), const_cast<char*>(bytes.data())}; }

std::string_view view_of(const MDB_val& val) { return {static_cast<const char*>(val.mv_data), val.mv_size}; }

class Lmdb {
 public:
  explicit Lmdb(const std::filesystem::path& dir) {
    check(mdb_env_create(&env_), "env create");
    check(mdb_env_set_mapsize(env_, kMapSize), "set mapsize");
    check(mdb_env_set_maxreaders(env_, 256), "set maxreaders");
    check(mdb_env_open(env_, dir.c_str(), MDB_NOTLS | MDB_NOSYNC, 0644), "env open");
    MDB_txn* txn = begin(0);
    check(mdb_dbi_open(txn, nullptr, 0, &dbi_), "dbi open");
    check(mdb_txn_commit(txn), "dbi commit");
  }
  Lmdb(const Lmdb&) = delete;
  Lmdb& operator=(const Lmdb&) = delete;
  ~Lmdb() { mdb_env_close(env_); }

  MDB_txn* begin(unsigned flags) {
    MDB_txn* txn = nullptr;
    check(mdb_txn_begin(env_, nullptr, flags, &txn), "txn begin");
    return txn;
  }
  template <typename Write>
  void write(const Write& write) {
    MDB_txn* txn = begin(0);
    write(txn);
    check(mdb_txn_commit(txn), "commit");
  }
  void put(MDB_txn* txn, std::string_view key, std::string_view value) {
    MDB_val k = val_of(key);
    MDB_val v = val_of(value);
    check(mdb_put(txn, dbi_, &k, &v, 0), "put");
  }
  std::string_view get(MDB_txn* txn, std::string_view key) {
    MDB_val k = val_of(key);
    MDB_val v;
    check(mdb_get(txn, dbi_, &k, &v), "get");
    return view_of(v);
  }
  MDB_dbi dbi() const { return dbi_; }

 private:
  MDB_env* env_ = nullptr;
  MDB_dbi dbi_ = 0;
};

class LmdbClient : public Client {
 public:
  explicit LmdbClient(Lmdb& env) : env_(env), reader_(env.begin(MDB_RDONLY)) { mdb_txn_reset(reader_); }
  LmdbClient(const LmdbClient&) = delete;
  LmdbClient& operator=(const LmdbClient&) = delete;
  ~LmdbClient() override { mdb_txn_abort(reader_); }

  void insert(std::uint64_t, const std::string& key, const snapstore::Document& doc) override {
    const std::string bytes = encode_msgpack(doc);
    env_.write([&](MDB_txn* txn) { env_.put(txn, key, bytes); });
  }
  void read(std::uint64_t, const std::string& key) override {
    renew();
    if (decode_msgpack(env_.get(reader_, key)).empty()) bench::die("lmdb read: an empty record");
  }
  void update(std::uint64_t, const std::string& key, const FieldUpdate& update) override {
    env_.write([&](MDB_txn* txn) {
      snapstore::Document doc = decode_msgpack(env_.get(txn, key));
      apply(doc, update);
      env_.put(txn, key, encode_msgpack(doc));
    });
  }
  std::uint64_t scan(std::uint64_t, const std::string& key, std::uint64_t length) override {
    renew();
    MDB_cursor* cursor = nullptr;
    check(mdb_cursor_open(reader_, env_.dbi(), &cursor), "cursor open");
    MDB_val k = val_of(key);
    MDB_val v;
    std::uint64_t seen = 0;
    int rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE);
    for (; rc == MDB_SUCCESS && seen < length; rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
      seen += decode_msgpack(view_of(v)).empty() ? 0 : 1;
    }
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) check(rc, "scan");
    mdb_cursor_close(cursor);
    return seen;
  }
  void read_modify_write(std::uint64_t keynum, const std::string& key, const FieldUpdate& field) override {
    update(keynum, key, field);
  }

 private:
  void renew() {
    mdb_txn_reset(reader_);
    check(mdb_txn_renew(reader_), "txn renew");
  }
  Lmdb& env_;
  MDB_txn* reader_;
};

class LmdbDatabase : public Database {
 public:
  explicit LmdbDatabase(const std::filesystem::path& dir) : env_(dir) {}

  void load(Shape shape, std::uint64_t records) override {
    for (std::uint64_t first = 0; first < records; first += kLoadChunk) {
      env_.write([&](MDB_txn* txn) {
        for (std::uint64_t keynum = first; keynum < std::min(records, first + kLoadChunk); ++keynum) {
          env_.put(txn, key_name(keynum), encode_msgpack(record(shape, keynum, false)));
        }
      });
    }
  }

  std::unique_ptr<Client> client(int, int) override { return std::make_unique<LmdbClient>(env_); }

 private:
  Lmdb env_;
};

}  // namespace

std::vector<Binding> lmdb_bindings() {
  return {{"LMDB (MDB_NOSYNC)", Role::kAlternative,
           [](const std::filesystem::path& dir) -> std::unique_ptr<Database> {
             return std::make_unique<LmdbDatabase>(dir);
           }}};
}

}  // namespace compare::ycsb
