// The info log of every RocksDB the store opens: RocksDB's own logger
// (EnvLogger) asserts and aborts when its file fails a write (Debian builds
// RocksDB with assertions on), and leaves one LOG.old.<time> file per open.
// The logger here writes db/LOG through the same file system RocksDB uses,
// rotates it to one db/LOG.old at kInfoLogBytes, and swallows every failure
// of its own file: a full disk loses log lines, never a write or the process.
// When a write fails it also removes db/LOG.old, giving that space back to
// the store's data (docs/DECISIONS.md D43).
// Read-only opens get a logger that discards everything, so that they write
// nothing into the store.
#pragma once

#include <cstdint>
#include <string>

namespace rocksdb {
struct DBOptions;
}

namespace snapstore::recovery {

// db/LOG grows to this size, then becomes db/LOG.old (replacing the last
// one). A writable open logs about 55 KB (mostly RocksDB's options), so this
// keeps the last few opens while two files take at most 512 KiB.
inline constexpr std::uint64_t kInfoLogBytes = 256ULL << 10;

// Sets `options.info_log` (using `options.env`'s file system, so set the Env
// first). A writable open also removes the LOG.old.<time> files that
// RocksDB's own logger left in `db_dir` before this logger existed.
void use_store_info_log(rocksdb::DBOptions& options, const std::string& db_dir, bool read_only);

}  // namespace snapstore::recovery
