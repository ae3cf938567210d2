// StorageEnv: the file systems under a durable store — the WAL's Env and the
// Env RocksDB runs on. Store::open uses the real ones; fault tests and
// `snapstore crashtest --power-loss` pass fault-injecting ones through
// StoreCore::open_store, so that one simulated power cut hits both.
#pragma once

namespace rocksdb {
class Env;
}

namespace snapstore::wal {
class Env;
}

namespace snapstore::engine {

struct StorageEnv {
  wal::Env* wal = nullptr;          // nullptr: wal::Env::posix()
  rocksdb::Env* rocksdb = nullptr;  // nullptr: RocksDB's default Env
};

}  // namespace snapstore::engine
