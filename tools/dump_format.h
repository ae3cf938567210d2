// The dump file formats: this header and docs/FORMATS.md ("Dump file") define
// them, and nothing else does. `snapstore dump` writes them and
// `snapstore restore` reads them.
//
// Binary (the default, `--format msgpack`); integers little-endian, checksums
// xxHash64 with seed 0:
//
//   file     := header entry* trailer
//   header   := magic "SNAPDUMP" | format_version u32 | length u32
//               | metadata (msgpack map, length bytes) | checksum u64 = xxh64(magic .. metadata)
//   entry    := kind u8 | length u32 | body (length bytes) | checksum u64 = xxh64(kind .. body)
//   document := kind 1, body = version u64 | revision u64 | id_length u32 | id | document msgpack
//   deletion := kind 2, body = revision u64 | id
//   trailer  := kind 3 | length u32 (16) | documents u64 | deletions u64
//               | file_checksum u64 = xxh64 of every byte before it
//
// JSONL (`--format jsonl`): one JSON object per line, values in the JSON
// conventions of docs/FORMATS.md (so binary, NaN and big integers survive):
//
//   {"snapstore_dump": 1, "snapstore_version": ..., "created": ..., "revision": ...,
//    "since_revision": ..., "order": ..., "indexes": [{"name": ..., "fields": [...]}, ...]}
//   {"_id": ..., "_version": ..., "_revision": ..., "data": {...}}      per document
//   {"_deleted": ..., "_revision": ...}                                 per deletion
//   {"_end": {"documents": N, "deletions": M}}                          last line
//
// Entry kinds are explicit numbers, never reused; 0 is reserved.
//
// Thread safety: a DumpWriter or DumpReader is used by one thread at a time.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include <array>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "recovery/tool_interface.h"
#include "snapstore/status.h"

namespace snapstore::tools {

inline constexpr std::array<char, 8> kDumpMagic = {'S', 'N', 'A', 'P', 'D', 'U', 'M', 'P'};
inline constexpr std::uint32_t kDumpFormatVersion = 1;
inline constexpr std::size_t kDumpHeaderPrefix = 16;  // magic 8 + version 4 + length 4
inline constexpr std::size_t kEntryPrefix = 5;        // kind 1 + length 4
inline constexpr std::size_t kChecksumSize = 8;
inline constexpr std::uint32_t kMaxMetadataBytes = 64U << 20;
inline constexpr std::uint32_t kMaxEntryBody = 256U << 20;  // above any document plus id

enum class EntryKind : std::uint8_t {
  kReserved = 0,
  kDocument = 1,
  kDeletion = 2,
  kTrailer = 3,
};

static_assert(kDumpHeaderPrefix == sizeof(kDumpMagic) + 4 + 4);

enum class DumpFormat { kMsgpack, kJsonl };

struct DumpHeader {
  std::uint32_t format_version = kDumpFormatVersion;
  std::string snapstore_version;
  std::uint64_t created = 0;         // seconds since the Unix epoch
  std::uint64_t revision = 0;        // the store's revision at the snapshot
  std::uint64_t since_revision = 0;  // 0: a full dump; else only changes after it
  std::string order = "id";          // "id", or "index <name>" for --index dumps
  std::vector<recovery::IndexDefinition> indexes;
};

// One entry: a document (msgpack `document`) or a deletion.
struct DumpEntry {
  bool deleted = false;
  std::string id;
  std::uint64_t version = 0;
  std::uint64_t revision = 0;
  std::string document;
};

// Writes a dump to a FILE (owned by the caller), buffering large writes.
// Full 1 MiB buffers go to a thread of the writer's own, which adds them to
// the whole-file checksum and writes them while the caller fills the next
// one (a dump is bound by one thread's scan, hashing and writing).
class DumpWriter {
 public:
  DumpWriter(DumpFormat format, std::FILE* out, std::string out_name);
  ~DumpWriter();
  DumpWriter(const DumpWriter&) = delete;
  DumpWriter& operator=(const DumpWriter&) = delete;
  Status begin(const DumpHeader& header);
  Status add_document(std::string_view id, std::uint64_t version, std::uint64_t revision, std::string_view document);
  Status add_deletion(std::string_view id, std::uint64_t revision);
  // Writes the trailer and flushes.
  Status finish();

  std::uint64_t documents() const { return documents_; }
  std::uint64_t bytes_written() const { return bytes_written_; }

 private:
  Status write(std::string_view bytes);
  // Hands buffer_ to the background thread (after the previous buffer is
  // done); the first error of any write is returned from here on.
  Status flush_buffer();
  // Waits until every handed-over buffer is hashed and written.
  Status drain();
  void write_in_background();
  // Asks the kernel to start writing what this writer has written so far,
  // so that the fsync at the end of a dump to a file waits for little.
  void start_writeback();

  const DumpFormat format_;
  std::FILE* const out_;
  const std::string out_name_;
  std::string buffer_;
  std::string scratch_;
  struct HashState;
  std::shared_ptr<HashState> file_hash_;
  std::uint64_t documents_ = 0;
  std::uint64_t deletions_ = 0;
  std::uint64_t bytes_written_ = 0;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::string pending_;   // guarded by mutex_
  bool has_pending_ = false;  // guarded by mutex_
  bool stopping_ = false;     // guarded by mutex_
  Status write_error_;        // guarded by mutex_
  // The background thread's own: where in out_ the dump began (-1 when
  // out_ cannot seek: a pipe gets no writeback), how far it has written,
  // and how far the kernel was asked to write back.
  long start_offset_ = -1;
  std::uint64_t written_ = 0;
  std::uint64_t written_back_ = 0;
  std::thread background_;  // last: starts once the rest is built
};

// What a reader skipped in salvage mode.
struct SkippedInput {
  std::string where;  // "record 12 at byte 4096" or "line 7"
  std::string reason;
};

// Reads a dump of either format (told apart by its first bytes), verifying
// every checksum, and at the end the trailer's counts. Errors are Corruption
// naming the record number and byte offset (binary) or the line (JSONL).
// With `salvage`, a damaged entry is skipped (and listed in skipped()) and
// reading resumes at the next valid one; a missing trailer is then not an
// error either. A damaged header is skipped too (header_damaged()): reading
// resumes at the first whole entry with a valid checksum after the magic,
// and header() holds what the damaged metadata still decodes to, if it
// does, else defaults (revision 0, no indexes).
class DumpReader {
 public:
  static Result<std::unique_ptr<DumpReader>> open(std::FILE* in, std::string in_name, bool salvage);
  ~DumpReader();

  DumpFormat format() const { return format_; }
  const DumpHeader& header() const { return header_; }
  // The next entry; false after the trailer has been read and checked.
  Result<bool> next(DumpEntry& entry);
  const std::vector<SkippedInput>& skipped() const { return skipped_; }
  // Salvage only: the header failed its checks, so header() is unverified.
  bool header_damaged() const { return header_damaged_; }
  std::uint64_t bytes_read() const { return consumed_total_; }

 private:
  DumpReader(std::FILE* in, std::string in_name, bool salvage);
  // Makes at least `n` bytes available from pos_; false when the input ends first.
  bool ensure(std::size_t n);
  void consume(std::size_t n);
  Status read_binary_header();
  Status read_jsonl_header();
  Result<bool> next_binary(DumpEntry& entry);
  Result<bool> next_jsonl(DumpEntry& entry);
  Result<bool> read_line(std::string& line);
  Status damaged(std::string where, std::string reason);
  // Salvage: records a damaged binary header, keeps what its metadata still
  // decodes to, and moves to the first valid entry.
  void salvage_binary_header(std::string reason);
  // Salvage: skips bytes up to where a whole entry with a good checksum, or
  // a trailer, starts (or the end of the input).
  void resynchronize();

  std::FILE* const in_;
  const std::string in_name_;
  const bool salvage_;
  DumpFormat format_ = DumpFormat::kMsgpack;
  DumpHeader header_;
  std::string buffer_;
  std::size_t pos_ = 0;
  bool eof_ = false;
  std::uint64_t consumed_total_ = 0;
  struct HashState;
  std::shared_ptr<HashState> file_hash_;
  std::uint64_t entries_ = 0;  // entries read, for messages
  std::uint64_t line_ = 1;     // JSONL: the line last read
  std::uint64_t documents_ = 0;
  std::uint64_t deletions_ = 0;
  bool done_ = false;
  bool header_damaged_ = false;
  std::vector<SkippedInput> skipped_;
};

}  // namespace snapstore::tools
