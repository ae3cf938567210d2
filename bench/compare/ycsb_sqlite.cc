// SQLite's YCSB binding, close to YCSB's JDBC binding: a table with the YCSB
// key as its primary key holding the record as JSON text (as the other
// SQLite rows), WAL
// journal, synchronous=NORMAL (next to snapstore `none`), a 1 GiB page
// cache. One connection behind a mutex serves the client threads (SQLite
// admits one writer at a time; see sqlite_subject.cc).
//
//   read:               SELECT doc by key + parse into Document
//   update:             UPDATE ... SET doc = json_set(doc, '$.fieldN', ?): one field, in SQL, as JDBC's UPDATE of a column
//   scan:               SELECT ... WHERE key >= ? ORDER BY key LIMIT ?, each parsed
//   read-modify-write:  the SELECT + parse, then that UPDATE, both under the connection's mutex
//                       (atomic because of the mutex; YCSB's JDBC binding runs them as two autocommits)
#include <sqlite3.h>

#include <mutex>

#include "bench/compare/ycsb.h"

namespace compare::ycsb {

namespace {

class Sqlite {
 public:
  explicit Sqlite(const std::filesystem::path& file) {
    if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      bench::die("sqlite open " + file.string());
    }
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
    exec("PRAGMA cache_size=-1048576");
    // A rowid table with the key's unique index, as YCSB's JDBC binding
    // creates: WITHOUT ROWID would put every 1 KB record on an overflow page.
    exec("CREATE TABLE usertable(key TEXT PRIMARY KEY, doc TEXT NOT NULL)");
    insert_ = prepare("INSERT INTO usertable(key, doc) VALUES(?1, ?2)");
    read_ = prepare("SELECT doc FROM usertable WHERE key = ?1");
    update_ = prepare("UPDATE usertable SET doc = json_set(doc, ?2, ?3) WHERE key = ?1");
    scan_ = prepare("SELECT key, doc FROM usertable WHERE key >= ?1 ORDER BY key LIMIT ?2");
  }
  Sqlite(const Sqlite&) = delete;
  Sqlite& operator=(const Sqlite&) = delete;
  ~Sqlite() {
    for (sqlite3_stmt* stmt : {insert_, read_, update_, scan_}) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }

  void exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      const std::string message = error != nullptr ? error : "?";
      sqlite3_free(error);
      bench::die("sqlite " + sql + ": " + message);
    }
  }

  void insert(const std::string& key, const snapstore::Document& doc) {
    const std::string json = snapstore::to_json(snapstore::Value(doc));
    bind_text(insert_, 1, key);
    bind_text(insert_, 2, json);
    finish(insert_);
  }
  snapstore::Document read(const std::string& key) {
    bind_text(read_, 1, key);
    if (!step(read_)) bench::die("sqlite read: no record " + key);
    snapstore::Document doc = parse_json(text(read_, 0));
    reset(read_);
    return doc;
  }
  void update(const std::string& key, const FieldUpdate& update) {
    const std::string path = "$." + update.field;
    bind_text(update_, 1, key);
    bind_text(update_, 2, path);
    if (update.value.is_string()) {
      bind_text(update_, 3, update.value.as_string());
    } else if (sqlite3_bind_double(update_, 3, update.value.as_double()) != SQLITE_OK) {
      fail("bind");
    }
    finish(update_);
    if (sqlite3_changes(db_) != 1) bench::die("sqlite update: no record " + key);
  }
  std::uint64_t scan(const std::string& key, std::uint64_t length) {
    bind_text(scan_, 1, key);
    if (sqlite3_bind_int64(scan_, 2, static_cast<sqlite3_int64>(length)) != SQLITE_OK) fail("bind");
    std::uint64_t rows = 0;
    while (step(scan_)) {
      const std::string id(text(scan_, 0));
      const snapstore::Document doc = parse_json(text(scan_, 1));
      rows += id.empty() || doc.empty() ? 0 : 1;
    }
    reset(scan_);
    return rows;
  }

  std::mutex& mutex() { return mutex_; }

 private:
  sqlite3_stmt* prepare(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) fail("prepare " + sql);
    return stmt;
  }
  void bind_text(sqlite3_stmt* stmt, int index, std::string_view text) {
    if (sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC) != SQLITE_OK) {
      fail("bind");
    }
  }
  bool step(sqlite3_stmt* stmt) {
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) fail("step");
    return false;
  }
  void finish(sqlite3_stmt* stmt) {
    while (step(stmt)) {
    }
    reset(stmt);
  }
  static void reset(sqlite3_stmt* stmt) {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  }
  static std::string_view text(sqlite3_stmt* stmt, int column) {
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
    return {data, static_cast<std::size_t>(sqlite3_column_bytes(stmt, column))};
  }
  [[noreturn]] void fail(const std::string& what) const { bench::die("sqlite " + what + ": " + sqlite3_errmsg(db_)); }

  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* read_ = nullptr;
  sqlite3_stmt* update_ = nullptr;
  sqlite3_stmt* scan_ = nullptr;
  std::mutex mutex_;
};

class SqliteClient : public Client {
 public:
  explicit SqliteClient(Sqlite& db) : db_(db) {}
  void insert(std::uint64_t, const std::string& key, const snapstore::Document& doc) override {
    const std::lock_guard<std::mutex> lock(db_.mutex());
    db_.insert(key, doc);
  }
  void read(std::uint64_t, const std::string& key) override {
    const std::lock_guard<std::mutex> lock(db_.mutex());
    if (db_.read(key).empty()) bench::die("sqlite read: an empty record");
  }
  void update(std::uint64_t, const std::string& key, const FieldUpdate& update) override {
    const std::lock_guard<std::mutex> lock(db_.mutex());
    db_.update(key, update);
  }
  std::uint64_t scan(std::uint64_t, const std::string& key, std::uint64_t length) override {
    const std::lock_guard<std::mutex> lock(db_.mutex());
    return db_.scan(key, length);
  }
  void read_modify_write(std::uint64_t, const std::string& key, const FieldUpdate& update) override {
    const std::lock_guard<std::mutex> lock(db_.mutex());
    if (db_.read(key).empty()) bench::die("sqlite read: an empty record");
    db_.update(key, update);
  }

 private:
  Sqlite& db_;
};

class SqliteDatabase : public Database {
 public:
  explicit SqliteDatabase(const std::filesystem::path& dir) : db_(dir / "ycsb.sqlite") {}

  void load(Shape shape, std::uint64_t records) override {
    for (std::uint64_t first = 0; first < records; first += kLoadChunk) {
      db_.exec("BEGIN");
      for (std::uint64_t keynum = first; keynum < std::min(records, first + kLoadChunk); ++keynum) {
        db_.insert(key_name(keynum), record(shape, keynum, false));
      }
      db_.exec("COMMIT");
    }
  }

  std::unique_ptr<Client> client(int, int) override { return std::make_unique<SqliteClient>(db_); }

 private:
  Sqlite db_;
};

}  // namespace

std::vector<Binding> sqlite_bindings() {
  return {{"SQLite (synchronous=NORMAL)", Role::kAlternative,
           [](const std::filesystem::path& dir) -> std::unique_ptr<Database> {
             return std::make_unique<SqliteDatabase>(dir);
           }}};
}

}  // namespace compare::ycsb
