// WiredTiger's rows (MongoDB's storage engine): a row-store table id ->
// msgpack bytes (key_format=u, value_format=u) holding the same bytes
// snapstore keeps under the same kind of UUIDv7 keys, with the log enabled
// (its group commit serves concurrent writers), no block compression and a
// 1 GiB cache. Durable rows commit with sync=on, the others with sync=off
// (the log record is written later, by WiredTiger's log thread).
//
// Rows: a commit per insert on 1/4/16 threads (a session and cursor per
// thread), a transaction of 100, a bulk-cursor load + checkpoint, get +
// decode, a full scan + decode, update, delete, and open + full scan + decode.
#include <wiredtiger.h>

#include <algorithm>
#include <memory>

#include "bench/compare/harness.h"

namespace compare {

namespace {

constexpr const char* kTable = "table:docs";
constexpr const char* kConnectionConfig =
    "create,cache_size=1GB,session_max=300,log=(enabled=true),transaction_sync=(enabled=false)";

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

const char* commit_config(bool sync) { return sync ? "sync=on" : "sync=off"; }

// One session with one cursor on the table: what each thread keeps.
class Session {
 public:
  explicit Session(WT_CONNECTION* connection, const char* cursor_config = nullptr) {
    check(connection->open_session(connection, nullptr, nullptr, &session_), "open session");
    check(session_->open_cursor(session_, kTable, nullptr, cursor_config, &cursor_), "open cursor");
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session() { session_->close(session_, nullptr); }

  // One transaction around `write(cursor)`, retried when WiredTiger rolls it
  // back (a conflict or cache pressure), committed with sync on or off.
  template <typename Write>
  void transaction(bool sync, const Write& write) {
    for (;;) {
      check(session_->begin_transaction(session_, nullptr), "begin");
      const int rc = write(cursor_);
      if (rc == 0) {
        // A failed commit has rolled the transaction back already.
        const int committed = session_->commit_transaction(session_, commit_config(sync));
        if (committed == WT_ROLLBACK) continue;
        check(committed, "commit");
        return;
      }
      check(session_->rollback_transaction(session_, nullptr), "rollback");
      if (rc != WT_ROLLBACK) check(rc, "write");
    }
  }
  int put(std::string_view key, std::string_view value) {
    WT_ITEM k = item_of(key);
    WT_ITEM v = item_of(value);
    cursor_->set_key(cursor_, &k);
    cursor_->set_value(cursor_, &v);
    return cursor_->insert(cursor_);
  }
  // The bytes of `id`, valid until the cursor moves or is reset.
  std::string_view get(std::string_view id) {
    WT_ITEM k = item_of(id);
    cursor_->set_key(cursor_, &k);
    check(cursor_->search(cursor_), "search");
    WT_ITEM v{};
    check(cursor_->get_value(cursor_, &v), "get value");
    return view_of(v);
  }
  void reset() { check(cursor_->reset(cursor_), "cursor reset"); }
  void close_cursor() {
    check(cursor_->close(cursor_), "cursor close");
    cursor_ = nullptr;
  }
  WT_SESSION* session() const { return session_; }
  WT_CURSOR* cursor() const { return cursor_; }

 private:
  WT_SESSION* session_ = nullptr;
  WT_CURSOR* cursor_ = nullptr;
};

// A connection to a directory with the table created; closed when destroyed.
class Connection {
 public:
  explicit Connection(const std::filesystem::path& dir) {
    check(wiredtiger_open(dir.c_str(), nullptr, kConnectionConfig, &connection_), "open");
    WT_SESSION* session = nullptr;
    check(connection_->open_session(connection_, nullptr, nullptr, &session), "open session");
    check(session->create(session, kTable, "key_format=u,value_format=u,block_compressor="), "create table");
    check(session->close(session, nullptr), "close session");
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() { connection_->close(connection_, nullptr); }

  WT_CONNECTION* get() const { return connection_; }

 private:
  WT_CONNECTION* connection_ = nullptr;
};

const char* sync_label(bool sync) { return sync ? ", sync=on" : ", sync=off"; }

void insert_rows(const Config& config, Report& report) {
  const std::vector<std::string>& pool = msgpack_pool();
  for (const int threads : config.threads) {
    for (const bool sync : {true, false}) {
      const std::filesystem::path dir = fresh_dir(config, "wiredtiger-insert");
      Measurement m;
      {
        Connection connection(dir);
        std::vector<std::unique_ptr<Session>> sessions;
        for (int t = 0; t < threads; ++t) sessions.push_back(std::make_unique<Session>(connection.get()));
        m = run_timed(threads, config.budget, [&](int thread, std::uint64_t index) -> std::uint64_t {
          const std::string id = new_id();
          Session& session = *sessions[static_cast<std::size_t>(thread)];
          session.transaction(sync, [&](WT_CURSOR*) { return session.put(id, pool[index % pool.size()]); });
          return 1;
        });
      }
      remove_dir(dir);
      report.add(make_row(insert_group(threads, sync), std::string("WiredTiger commit per insert") + sync_label(sync),
                          Role::kAlternative, 0, m, "ops/s", true));
    }
  }
}

void batch_rows(const Config& config, Report& report) {
  constexpr std::uint64_t kBatch = 100;
  const std::vector<std::string>& pool = msgpack_pool();
  for (const bool sync : {true, false}) {
    const std::filesystem::path dir = fresh_dir(config, "wiredtiger-batch");
    Measurement m;
    {
      Connection connection(dir);
      Session session(connection.get());
      Budget budget = config.budget;
      budget.max_ops = std::max<std::uint64_t>(1, budget.max_ops / kBatch);
      m = run_timed(1, budget, [&](int, std::uint64_t index) -> std::uint64_t {
        std::vector<std::string> ids;
        ids.reserve(kBatch);
        for (std::uint64_t i = 0; i < kBatch; ++i) ids.push_back(new_id());
        session.transaction(sync, [&](WT_CURSOR*) {
          for (std::uint64_t i = 0; i < kBatch; ++i) {
            if (const int rc = session.put(ids[i], pool[(index * kBatch + i) % pool.size()]); rc != 0) return rc;
          }
          return 0;
        });
        return kBatch;
      });
    }
    remove_dir(dir);
    report.add(make_row(batch_group(sync), std::string("WiredTiger transaction of 100") + sync_label(sync),
                        Role::kAlternative, 0, m, "docs/s", true));
  }
}

// Loads N documents through a bulk cursor (the ids come in key order, as a
// bulk cursor requires) and checkpoints, which is what makes a bulk load
// durable; generation and encoding happen outside the timing. Returns the ids.
std::vector<std::string> load(WT_CONNECTION* connection, std::uint64_t documents, Measurement& m) {
  std::vector<std::string> ids;
  ids.reserve(documents);
  Session bulk(connection, "bulk");
  std::vector<std::string> chunk;
  for (std::uint64_t first = 0; first < documents; first += kLoadChunk) {
    chunk.clear();
    const std::uint64_t end = std::min(documents, first + kLoadChunk);
    for (std::uint64_t seq = first; seq < end; ++seq) {
      chunk.push_back(encode_msgpack(bench::make_document(seq)));
      ids.push_back(new_id());
    }
    const Clock::time_point start = Clock::now();
    for (std::uint64_t seq = first; seq < end; ++seq) check(bulk.put(ids[seq], chunk[seq - first]), "bulk insert");
    m.seconds += seconds_since(start);
  }
  const Clock::time_point start = Clock::now();
  bulk.close_cursor();
  check(bulk.session()->checkpoint(bulk.session(), nullptr), "checkpoint");
  m.seconds += seconds_since(start);
  m.ops = m.items = documents;
  return ids;
}

// Walks every document with a cursor and decodes it; returns how many it saw.
std::uint64_t scan_and_decode(WT_CONNECTION* connection) {
  Session session(connection);
  WT_CURSOR* cursor = session.cursor();
  std::uint64_t seen = 0;
  int rc = 0;
  while ((rc = cursor->next(cursor)) == 0) {
    WT_ITEM k{};
    WT_ITEM v{};
    check(cursor->get_key(cursor, &k), "get key");
    check(cursor->get_value(cursor, &v), "get value");
    const snapstore::Document doc = decode_msgpack(view_of(v));
    const std::string id(view_of(k));  // a reader gets the id too, as from snapstore's stream
    seen += id.empty() || doc.empty() ? 0 : 1;
  }
  if (rc != WT_NOTFOUND) check(rc, "scan");
  return seen;
}

Measurement update(Session& session, const Config& config, const std::vector<std::string>& ids,
                   const std::vector<std::uint32_t>& order, bool sync) {
  const std::uint64_t n = ids.size();
  const std::vector<std::string>& pool = updated_msgpack_pool();
  return run_timed(1, config.budget, [&](int, std::uint64_t index) -> std::uint64_t {
    const std::string& id = ids[order[n - 1 - pick(index, std::max<std::uint64_t>(1, n / 2))]];
    session.transaction(sync, [&](WT_CURSOR*) { return session.put(id, pool[index % pool.size()]); });
    return 1;
  });
}

Measurement remove(Session& session, const Config& config, const std::vector<std::string>& ids,
                   const std::vector<std::uint32_t>& order, std::uint64_t first, bool sync) {
  Budget budget = config.budget;
  budget.max_ops = std::min<std::uint64_t>(budget.max_ops, std::max<std::uint64_t>(1, ids.size() / 4));
  return run_timed(1, budget, [&](int, std::uint64_t index) -> std::uint64_t {
    WT_ITEM k = item_of(ids[order[first + index]]);
    session.transaction(sync, [&](WT_CURSOR* cursor) {
      cursor->set_key(cursor, &k);
      return cursor->remove(cursor);
    });
    return 1;
  });
}

void loaded_rows(const Config& config, Report& report) {
  const std::uint64_t n = config.documents;
  const std::filesystem::path dir = fresh_dir(config, "wiredtiger-loaded");
  const std::vector<std::uint32_t> order = delete_order(n);
  auto connection = std::make_unique<Connection>(dir);
  Measurement loaded;
  const std::vector<std::string> ids = load(connection->get(), n, loaded);
  if (config.wants("load")) {
    report.add(
        make_row(load_group(n), "WiredTiger bulk cursor + checkpoint", Role::kAlternative, 0, loaded, "docs/s", false));
  }
  // The scan comes first, also when only get is measured: it fills the
  // cache, so that get reads from memory as snapstore does.
  if (config.wants("stream") || config.wants("get")) {
    const Clock::time_point start = Clock::now();
    const std::uint64_t seen = scan_and_decode(connection->get());
    if (config.wants("stream")) {
      report.add(make_row(stream_group(), "WiredTiger cursor scan + decode", Role::kAlternative, n,
                          one_shot(seen, seconds_since(start)), "docs/s", false));
    }
  }
  if (config.wants("get")) {
    Session session(connection->get());
    const Measurement m = run_timed(1, config.budget, [&](int, std::uint64_t index) -> std::uint64_t {
      const snapstore::Document doc = decode_msgpack(session.get(ids[pick(index, n)]));
      session.reset();
      return doc.empty() ? 0 : 1;
    });
    report.add(
        make_row(get_group(), "WiredTiger search + decode into Document", Role::kAlternative, n, m, "ops/s", true));
  }
  if (config.wants("update")) {
    Session session(connection->get());
    report.add(make_row(update_group(false), "WiredTiger commit per update, sync=off", Role::kAlternative, n,
                        update(session, config, ids, order, false), "ops/s", true));
  }
  if (config.wants("open")) {
    connection.reset();
    const Clock::time_point start = Clock::now();
    connection = std::make_unique<Connection>(dir);
    const std::uint64_t seen = scan_and_decode(connection->get());
    report.add(make_row(open_group(n), "WiredTiger open + cursor scan + decode", Role::kAlternative, n,
                        one_shot(seen, seconds_since(start)), "docs/s", false));
  }
  {
    Session session(connection->get());
    std::uint64_t deleted = 0;
    if (config.wants("delete")) {
      const Measurement m = remove(session, config, ids, order, 0, false);
      deleted = m.ops;
      report.add(make_row(delete_group(false), "WiredTiger commit per delete, sync=off", Role::kAlternative, n, m,
                          "ops/s", true));
    }
    if (config.wants("update")) {
      report.add(make_row(update_group(true), "WiredTiger commit per update, sync=on", Role::kAlternative, n,
                          update(session, config, ids, order, true), "ops/s", true));
    }
    if (config.wants("delete")) {
      report.add(make_row(delete_group(true), "WiredTiger commit per delete, sync=on", Role::kAlternative, n,
                          remove(session, config, ids, order, deleted, true), "ops/s", true));
    }
  }
  connection.reset();
  remove_dir(dir);
}

}  // namespace

void run_wiredtiger(const Config& config, Report& report, Phase phase) {
  if (phase == Phase::kLoaded) {
    if (config.wants_loaded()) loaded_rows(config, report);
    return;
  }
  if (config.wants("insert")) insert_rows(config, report);
  if (config.wants("batch")) batch_rows(config, report);
}

}  // namespace compare
