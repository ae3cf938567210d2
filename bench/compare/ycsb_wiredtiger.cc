// WiredTiger's YCSB binding (YCSB reaches WiredTiger only through MongoDB):
// a row-store table YCSB key -> the record's msgpack bytes, configured as
// the other WiredTiger rows (log enabled, no block compression, 1 GiB
// cache), writes committed with sync=off (next to snapstore `none`). Each
// client has its own session and cursor; a transaction WiredTiger rolls back
// is retried.
//
//   read:               search + decode (no explicit transaction)
//   update:             one transaction: search + decode, set one field, encode + update
//   scan:               search_near, next, decode each
//   read-modify-write:  the same single transaction as update (atomic)
#include <wiredtiger.h>

#include "bench/compare/ycsb.h"

namespace compare::ycsb {

namespace {

constexpr const char* kTable = "table:usertable";

void check(int rc, const char* step) {
  if (rc != 0) bench::die(std::string("wiredtiger ") + step + ": " + wiredtiger_strerror(rc));
}

WT_ITEM item_of(std::string_view bytes) {
  WT_ITEM item{};
  item.data = bytes.data();
  item.size = bytes.size();
  return item;
}

std::string_view view_of(const WT_ITEM& item) { return {static_cast<const char*>(item.data), item.size}; }

class WiredTigerClient : public Client {
 public:
  explicit WiredTigerClient(WT_CONNECTION* connection) {
    check(connection->open_session(connection, nullptr, nullptr, &session_), "open session");
    check(session_->open_cursor(session_, kTable, nullptr, nullptr, &cursor_), "open cursor");
  }
  WiredTigerClient(const WiredTigerClient&) = delete;
  WiredTigerClient& operator=(const WiredTigerClient&) = delete;
  ~WiredTigerClient() override { session_->close(session_, nullptr); }

  void insert(std::uint64_t, const std::string& key, const snapstore::Document& doc) override {
    const std::string bytes = encode_msgpack(doc);
    transaction([&] {
      WT_ITEM k = item_of(key);
      WT_ITEM v = item_of(bytes);
      cursor_->set_key(cursor_, &k);
      cursor_->set_value(cursor_, &v);
      return cursor_->insert(cursor_);
    });
  }
  void read(std::uint64_t, const std::string& key) override {
    const int rc = search(key);
    check(rc, "search");
    if (decode_msgpack(value()).empty()) bench::die("wiredtiger read: an empty record");
    check(cursor_->reset(cursor_), "reset");
  }
  void update(std::uint64_t, const std::string& key, const FieldUpdate& update) override {
    transaction([&] {
      if (const int rc = search(key); rc != 0) return rc;
      snapstore::Document doc = decode_msgpack(value());
      apply(doc, update);
      const std::string bytes = encode_msgpack(doc);
      WT_ITEM v = item_of(bytes);
      cursor_->set_value(cursor_, &v);
      return cursor_->update(cursor_);
    });
  }
  std::uint64_t scan(std::uint64_t, const std::string& key, std::uint64_t length) override {
    WT_ITEM k = item_of(key);
    cursor_->set_key(cursor_, &k);
    int exact = 0;
    int rc = cursor_->search_near(cursor_, &exact);
    if (rc == 0 && exact < 0) rc = cursor_->next(cursor_);
    std::uint64_t seen = 0;
    while (rc == 0) {
      seen += decode_msgpack(value()).empty() ? 0 : 1;
      if (seen == length) break;
      rc = cursor_->next(cursor_);
    }
    if (rc != 0 && rc != WT_NOTFOUND) check(rc, "scan");
    check(cursor_->reset(cursor_), "reset");
    return seen;
  }
  void read_modify_write(std::uint64_t keynum, const std::string& key, const FieldUpdate& field) override {
    update(keynum, key, field);
  }

 private:
  int search(const std::string& key) {
    WT_ITEM k = item_of(key);
    cursor_->set_key(cursor_, &k);
    return cursor_->search(cursor_);
  }
  std::string_view value() {
    WT_ITEM v{};
    check(cursor_->get_value(cursor_, &v), "get value");
    return view_of(v);
  }
  template <typename Write>
  void transaction(const Write& write) {
    for (;;) {
      check(session_->begin_transaction(session_, nullptr), "begin");
      const int rc = write();
      if (rc == 0) {
        const int committed = session_->commit_transaction(session_, "sync=off");
        if (committed == WT_ROLLBACK) continue;
        check(committed, "commit");
        return;
      }
      check(session_->rollback_transaction(session_, nullptr), "rollback");
      if (rc != WT_ROLLBACK) check(rc, "write");
    }
  }

  WT_SESSION* session_ = nullptr;
  WT_CURSOR* cursor_ = nullptr;
};

class WiredTigerDatabase : public Database {
 public:
  explicit WiredTigerDatabase(const std::filesystem::path& dir) {
    check(wiredtiger_open(dir.c_str(), nullptr,
                          "create,cache_size=1GB,session_max=300,log=(enabled=true),transaction_sync=(enabled=false)",
                          &connection_),
          "open");
    WT_SESSION* session = nullptr;
    check(connection_->open_session(connection_, nullptr, nullptr, &session), "open session");
    check(session->create(session, kTable, "key_format=u,value_format=u,block_compressor="), "create table");
    check(session->close(session, nullptr), "close session");
  }
  WiredTigerDatabase(const WiredTigerDatabase&) = delete;
  WiredTigerDatabase& operator=(const WiredTigerDatabase&) = delete;
  ~WiredTigerDatabase() override { connection_->close(connection_, nullptr); }

  void load(Shape shape, std::uint64_t records) override {
    WT_SESSION* session = nullptr;
    check(connection_->open_session(connection_, nullptr, nullptr, &session), "open session");
    WT_CURSOR* cursor = nullptr;
    check(session->open_cursor(session, kTable, nullptr, nullptr, &cursor), "open cursor");
    for (std::uint64_t first = 0; first < records; first += kLoadChunk) {
      check(session->begin_transaction(session, nullptr), "begin");
      for (std::uint64_t keynum = first; keynum < std::min(records, first + kLoadChunk); ++keynum) {
        const std::string key = key_name(keynum);
        const std::string bytes = encode_msgpack(record(shape, keynum, false));
        WT_ITEM k = item_of(key);
        WT_ITEM v = item_of(bytes);
        cursor->set_key(cursor, &k);
        cursor->set_value(cursor, &v);
        check(cursor->insert(cursor), "load insert");
      }
      check(session->commit_transaction(session, "sync=off"), "load commit");
    }
    check(session->close(session, nullptr), "close session");
  }

  std::unique_ptr<Client> client(int, int) override { return std::make_unique<WiredTigerClient>(connection_); }

 private:
  WT_CONNECTION* connection_ = nullptr;
};

}  // namespace

std::vector<Binding> wiredtiger_bindings() {
  return {{"WiredTiger (sync=off)", Role::kAlternative,
           [](const std::filesystem::path& dir) -> std::unique_ptr<Database> {
             return std::make_unique<WiredTigerDatabase>(dir);
           }}};
}

}  // namespace compare::ycsb
