// Dump files: writer and reader of both formats (see dump_format.h).
#include "tools/dump_format.h"

#include <fcntl.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>
#include <limits>

#include "base/little_endian.h"
#include "base/worker_error.h"
#include "snapstore/value.h"
#include "tools/cli_support.h"

namespace snapstore::tools {
namespace {

constexpr std::size_t kWriteBufferBytes = 1 << 20;
// How much a dump writes before it asks the kernel to start writing it back
// (see DumpWriter::start_writeback).
constexpr std::uint64_t kWritebackBytes = 8 << 20;
constexpr std::size_t kReadChunkBytes = 1 << 20;
constexpr std::size_t kMaxDepth = 1000;

// Fields are set one by one: GCC 12 warns falsely (-Wmaybe-uninitialized)
// about a braced list of Values of several types.
Value header_to_value(const DumpHeader& header) {
  Array indexes;
  for (const recovery::IndexDefinition& index : header.indexes) {
    Object definition;
    definition["name"] = index.name;
    definition["fields"] = Array(index.fields.begin(), index.fields.end());
    add_index_options(definition, index.options);
    indexes.emplace_back(std::move(definition));
  }
  Object o;
  o["snapstore_dump"] = header.format_version;
  o["snapstore_version"] = header.snapstore_version;
  o["created"] = header.created;
  o["revision"] = header.revision;
  o["since_revision"] = header.since_revision;
  o["order"] = header.order;
  o["indexes"] = std::move(indexes);
  return o;
}

Result<std::uint64_t> uint_field(const Object& o, std::string_view name) {
  auto it = o.find(name);
  if (it == o.end()) return Status::corruption("the metadata has no \"" + std::string(name) + "\"");
  if (!it->second.is_int() && !it->second.is_uint()) {
    return Status::corruption("the metadata's \"" + std::string(name) + "\" is not an integer");
  }
  if (it->second.is_int() && it->second.as_int() < 0) {
    return Status::corruption("the metadata's \"" + std::string(name) + "\" is negative");
  }
  return it->second.as_uint();
}

Result<std::string> string_field(const Object& o, std::string_view name) {
  auto it = o.find(name);
  if (it == o.end() || !it->second.is_string()) {
    return Status::corruption("the metadata has no string \"" + std::string(name) + "\"");
  }
  return it->second.as_string();
}

Result<DumpHeader> header_from_value(const Value& v) {
  if (!v.is_object()) return Status::corruption("the metadata is not an object");
  const Object& o = v.as_object();
  DumpHeader header;
  auto version = uint_field(o, "snapstore_dump");
  if (!version) return version.status();
  if (*version != kDumpFormatVersion) {
    return Status::invalid_argument("dump format version " + std::to_string(*version) +
                                    " is not supported (this snapstore reads version " +
                                    std::to_string(kDumpFormatVersion) + ")");
  }
  header.format_version = static_cast<std::uint32_t>(*version);
  auto snapstore_version = string_field(o, "snapstore_version");
  if (!snapstore_version) return snapstore_version.status();
  header.snapstore_version = *snapstore_version;
  auto created = uint_field(o, "created");
  if (!created) return created.status();
  header.created = *created;
  auto revision = uint_field(o, "revision");
  if (!revision) return revision.status();
  header.revision = *revision;
  auto since = uint_field(o, "since_revision");
  if (!since) return since.status();
  header.since_revision = *since;
  auto order = string_field(o, "order");
  if (!order) return order.status();
  header.order = *order;
  auto indexes = o.find("indexes");
  if (indexes == o.end() || !indexes->second.is_array()) return Status::corruption("the metadata has no index list");
  for (const Value& index : indexes->second.as_array()) {
    const Value* name = index.find("name");
    const Value* fields = index.find("fields");
    if (name == nullptr || !name->is_string() || fields == nullptr || !fields->is_array() || fields->size() == 0) {
      return Status::corruption("an index definition in the metadata is not {name, fields}");
    }
    recovery::IndexDefinition definition{name->as_string(), {}};
    for (const Value& field : fields->as_array()) {
      if (!field.is_string())
        return Status::corruption("index \"" + definition.name + "\" has a field that is not a string");
      definition.fields.push_back(field.as_string());
    }
    // Dumps written before index options have neither key: a plain index.
    auto options = index_options_from(index.as_object());
    if (!options) return Status::corruption("index \"" + definition.name + "\": " + options.status().detail());
    definition.options = std::move(*options);
    header.indexes.push_back(std::move(definition));
  }
  return header;
}

}  // namespace

struct DumpWriter::HashState {
  XXH64_state_t* state = XXH64_createState();
  HashState() { XXH64_reset(state, 0); }
  ~HashState() { XXH64_freeState(state); }
};

struct DumpReader::HashState {
  XXH64_state_t* state = XXH64_createState();
  HashState() { XXH64_reset(state, 0); }
  ~HashState() { XXH64_freeState(state); }
};

// ---- writer ----

DumpWriter::DumpWriter(DumpFormat format, std::FILE* out, std::string out_name)
    : format_(format),
      out_(out),
      out_name_(std::move(out_name)),
      file_hash_(std::make_shared<HashState>()),
      start_offset_(std::ftell(out)) {
  buffer_.reserve(kWriteBufferBytes + 4096);
  background_ = std::thread([this] { write_in_background(); });
}

DumpWriter::~DumpWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  background_.join();
}

void DumpWriter::write_in_background() {
  std::string bytes;
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [this] { return has_pending_ || stopping_; });
    if (!has_pending_) return;
    bytes.swap(pending_);
    const bool failed_before = !write_error_.is_ok();
    lock.unlock();
    Status status;
    // An exception here (std::bad_alloc building a message) would end the
    // process from this thread: it becomes the dump's write error instead.
    try {
      if (!failed_before) {
        if (format_ == DumpFormat::kMsgpack) XXH64_update(file_hash_->state, bytes.data(), bytes.size());
        if (std::fwrite(bytes.data(), 1, bytes.size(), out_) != bytes.size()) {
          status = Status::io_error("write " + out_name_ + ": " + std::strerror(errno));
        } else {
          written_ += bytes.size();
          if (written_ - written_back_ >= kWritebackBytes) start_writeback();
        }
      }
    } catch (...) {
      status = base::status_of_exception("write " + out_name_, std::current_exception());
    }
    bytes.clear();
    lock.lock();
    if (!status) write_error_ = std::move(status);
    has_pending_ = false;
    changed_.notify_all();
  }
}

void DumpWriter::start_writeback() {
  if (start_offset_ < 0) return;
  // Advisory: an error here changes nothing, and the caller's fsync, which
  // decides whether the dump is reported written, sees any real one.
  if (std::fflush(out_) != 0) return;
  ::sync_file_range(::fileno(out_), static_cast<off_t>(start_offset_ + written_back_),
                    static_cast<off_t>(written_ - written_back_), SYNC_FILE_RANGE_WRITE);
  written_back_ = written_;
}

Status DumpWriter::flush_buffer() {
  if (buffer_.empty()) return drain();
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return !has_pending_; });
  if (!write_error_) return write_error_;
  bytes_written_ += buffer_.size();
  pending_.swap(buffer_);
  buffer_.clear();
  has_pending_ = true;
  lock.unlock();
  changed_.notify_all();
  return Status::ok();
}

Status DumpWriter::drain() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return !has_pending_; });
  return write_error_;
}

Status DumpWriter::write(std::string_view bytes) {
  buffer_.append(bytes);
  if (buffer_.size() >= kWriteBufferBytes) return flush_buffer();
  return Status::ok();
}

Status DumpWriter::begin(const DumpHeader& header) {
  const Value metadata = header_to_value(header);
  if (format_ == DumpFormat::kJsonl) return write(to_json(metadata) + "\n");
  std::string encoded;
  if (Status s = recovery::encode_value(metadata, encoded, kMaxDepth); !s) return s;
  std::string bytes(kDumpMagic.data(), kDumpMagic.size());
  base::put_fixed32(bytes, header.format_version);
  base::put_fixed32(bytes, static_cast<std::uint32_t>(encoded.size()));
  bytes += encoded;
  base::put_fixed64(bytes, XXH64(bytes.data(), bytes.size(), 0));
  return write(bytes);
}

Status DumpWriter::add_document(std::string_view id, std::uint64_t version, std::uint64_t revision,
                                std::string_view document) {
  ++documents_;
  scratch_.clear();
  if (format_ == DumpFormat::kJsonl) {
    auto data = recovery::decode_document(document, kMaxDepth);
    if (!data) return Status::corruption("document \"" + std::string(id) + "\": " + data.status().detail());
    scratch_ += "{\"_id\":";
    scratch_ += to_json(Value(id));
    scratch_ +=
        ",\"_version\":" + std::to_string(version) + ",\"_revision\":" + std::to_string(revision) + ",\"data\":";
    scratch_ += to_json(Value(std::move(*data)));
    scratch_ += "}\n";
    return write(scratch_);
  }
  const std::size_t body = 8 + 8 + 4 + id.size() + document.size();
  if (body > kMaxEntryBody)
    return Status::invalid_argument("document \"" + std::string(id) + "\" is too large to dump");
  scratch_.push_back(static_cast<char>(EntryKind::kDocument));
  base::put_fixed32(scratch_, static_cast<std::uint32_t>(body));
  base::put_fixed64(scratch_, version);
  base::put_fixed64(scratch_, revision);
  base::put_fixed32(scratch_, static_cast<std::uint32_t>(id.size()));
  scratch_.append(id);
  scratch_.append(document);
  base::put_fixed64(scratch_, XXH64(scratch_.data(), scratch_.size(), 0));
  return write(scratch_);
}

Status DumpWriter::add_deletion(std::string_view id, std::uint64_t revision) {
  ++deletions_;
  scratch_.clear();
  if (format_ == DumpFormat::kJsonl) {
    scratch_ += "{\"_deleted\":" + to_json(Value(id)) + ",\"_revision\":" + std::to_string(revision) + "}\n";
    return write(scratch_);
  }
  scratch_.push_back(static_cast<char>(EntryKind::kDeletion));
  base::put_fixed32(scratch_, static_cast<std::uint32_t>(8 + id.size()));
  base::put_fixed64(scratch_, revision);
  scratch_.append(id);
  base::put_fixed64(scratch_, XXH64(scratch_.data(), scratch_.size(), 0));
  return write(scratch_);
}

Status DumpWriter::finish() {
  if (format_ == DumpFormat::kJsonl) {
    Status s = write("{\"_end\":{\"documents\":" + std::to_string(documents_) +
                     ",\"deletions\":" + std::to_string(deletions_) + "}}\n");
    if (!s) return s;
  } else {
    std::string trailer;
    trailer.push_back(static_cast<char>(EntryKind::kTrailer));
    base::put_fixed32(trailer, 16);
    base::put_fixed64(trailer, documents_);
    base::put_fixed64(trailer, deletions_);
    if (Status s = write(trailer); !s) return s;
    // The checksum covers every byte before it: hash them all first.
    if (Status s = flush_buffer(); !s) return s;
    if (Status s = drain(); !s) return s;
    std::string checksum;
    base::put_fixed64(checksum, XXH64_digest(file_hash_->state));
    if (Status s = write(checksum); !s) return s;
  }
  if (Status s = flush_buffer(); !s) return s;
  if (Status s = drain(); !s) return s;
  if (std::fflush(out_) != 0) return Status::io_error("write " + out_name_ + ": " + std::strerror(errno));
  return Status::ok();
}

// ---- reader ----

DumpReader::DumpReader(std::FILE* in, std::string in_name, bool salvage)
    : in_(in), in_name_(std::move(in_name)), salvage_(salvage), file_hash_(std::make_shared<HashState>()) {}

DumpReader::~DumpReader() = default;

bool DumpReader::ensure(std::size_t n) {
  while (buffer_.size() - pos_ < n && !eof_) {
    if (pos_ > 0 && pos_ * 2 >= buffer_.size()) {
      buffer_.erase(0, pos_);
      pos_ = 0;
    }
    const std::size_t old = buffer_.size();
    const std::size_t want = std::max(kReadChunkBytes, n - (old - pos_));
    buffer_.resize(old + want);
    const std::size_t got = std::fread(buffer_.data() + old, 1, want, in_);
    buffer_.resize(old + got);
    if (got < want) eof_ = true;
  }
  return buffer_.size() - pos_ >= n;
}

void DumpReader::consume(std::size_t n) {
  if (format_ == DumpFormat::kMsgpack) XXH64_update(file_hash_->state, buffer_.data() + pos_, n);
  pos_ += n;
  consumed_total_ += n;
}

Status DumpReader::damaged(std::string where, std::string reason) {
  if (!salvage_) return Status::corruption(in_name_ + ": " + where + ": " + reason);
  skipped_.push_back({std::move(where), std::move(reason)});
  return Status::ok();
}

Result<std::unique_ptr<DumpReader>> DumpReader::open(std::FILE* in, std::string in_name, bool salvage) {
  std::unique_ptr<DumpReader> reader(new DumpReader(in, std::move(in_name), salvage));
  if (!reader->ensure(1)) {
    if (std::ferror(in)) return Status::io_error("read " + reader->in_name_ + ": " + std::strerror(errno));
    return Status::corruption(reader->in_name_ + ": the file is empty");
  }
  const char first = reader->buffer_[0];
  if (salvage && first != kDumpMagic[0] && first != '{' && reader->ensure(kDumpMagic.size())) {
    // One or two damaged bytes in the magic still say "binary dump".
    std::size_t same = 0;
    for (std::size_t i = 0; i < kDumpMagic.size(); ++i) same += reader->buffer_[i] == kDumpMagic[i] ? 1 : 0;
    if (same + 2 >= kDumpMagic.size()) {
      reader->format_ = DumpFormat::kMsgpack;
      reader->salvage_binary_header("wrong magic");
      return reader;
    }
    // A JSONL dump whose header line lost its opening brace: the next
    // line still starts like one.
    const std::size_t newline = reader->buffer_.find('\n');
    if (newline != std::string::npos && newline + 1 < reader->buffer_.size() &&
        reader->buffer_[newline + 1] == '{') {
      reader->format_ = DumpFormat::kJsonl;
      if (Status s = reader->read_jsonl_header(); !s) return s;
      return reader;
    }
  }
  if (first == kDumpMagic[0]) {
    reader->format_ = DumpFormat::kMsgpack;
    if (Status s = reader->read_binary_header(); !s) return s;
  } else if (first == '{') {
    reader->format_ = DumpFormat::kJsonl;
    if (Status s = reader->read_jsonl_header(); !s) return s;
  } else {
    return Status::corruption(reader->in_name_ +
                              ": not a snapstore dump (wrong magic: neither \"SNAPDUMP\" nor a JSONL header line)");
  }
  return reader;
}

Status DumpReader::read_binary_header() {
  if (!ensure(kDumpHeaderPrefix) || std::memcmp(buffer_.data(), kDumpMagic.data(), kDumpMagic.size()) != 0) {
    if (salvage_ && ensure(kDumpHeaderPrefix)) {
      salvage_binary_header("wrong magic");
      return Status::ok();
    }
    return Status::corruption(in_name_ + ": not a snapstore dump (wrong magic)");
  }
  // Salvage: every check below that fails is damage to skip, not an error.
  auto fail = [&](Status status) {
    if (!salvage_) return status;
    salvage_binary_header(status.detail());
    return Status::ok();
  };
  const std::uint32_t version = base::get_fixed32(buffer_.data() + 8);
  if (version != kDumpFormatVersion) {
    return fail(Status::invalid_argument(in_name_ + ": dump format version " + std::to_string(version) +
                                         " is not supported (this snapstore reads version " +
                                         std::to_string(kDumpFormatVersion) + ")"));
  }
  const std::uint32_t length = base::get_fixed32(buffer_.data() + 12);
  if (length > kMaxMetadataBytes) {
    return fail(
        Status::corruption(in_name_ + ": header: metadata length " + std::to_string(length) + " is implausible"));
  }
  const std::size_t total = kDumpHeaderPrefix + length + kChecksumSize;
  if (!ensure(total)) {
    return fail(Status::corruption(in_name_ + ": header: the file ends inside the header (truncated)"));
  }
  if (XXH64(buffer_.data(), kDumpHeaderPrefix + length, 0) !=
      base::get_fixed64(buffer_.data() + kDumpHeaderPrefix + length)) {
    return fail(Status::corruption(in_name_ + ": header: checksum mismatch"));
  }
  auto metadata = recovery::decode_value(std::string_view(buffer_.data() + kDumpHeaderPrefix, length), kMaxDepth);
  if (!metadata) return fail(Status::corruption(in_name_ + ": header: " + metadata.status().detail()));
  auto header = header_from_value(*metadata);
  if (!header) return fail(Status(header.code(), in_name_ + ": header: " + header.status().detail()));
  header_ = std::move(*header);
  consume(total);
  return Status::ok();
}

void DumpReader::salvage_binary_header(std::string reason) {
  header_damaged_ = true;
  header_ = DumpHeader{};
  // The metadata may still decode (one flipped byte in a string, or in the
  // checksum itself): keep it, unverified, rather than lose the index list.
  std::string kept = "nothing of its metadata could be read";
  if (ensure(kDumpHeaderPrefix)) {
    const std::uint32_t length = base::get_fixed32(buffer_.data() + 12);
    if (length <= kMaxMetadataBytes && ensure(kDumpHeaderPrefix + length)) {
      auto metadata = recovery::decode_value(std::string_view(buffer_.data() + kDumpHeaderPrefix, length), kMaxDepth);
      if (metadata) {
        if (auto header = header_from_value(*metadata); header) {
          header_ = std::move(*header);
          kept = "its metadata still decodes and is used unverified (" + std::to_string(header_.indexes.size()) +
                 " index definitions)";
        }
      }
    }
  }
  skipped_.push_back({"header", reason + "; " + kept});
  consume(std::min(kDumpHeaderPrefix, buffer_.size() - pos_));
  resynchronize();
}

void DumpReader::resynchronize() {
  while (ensure(kEntryPrefix)) {
    const auto k = static_cast<EntryKind>(buffer_[pos_]);
    const std::uint32_t len = base::get_fixed32(buffer_.data() + pos_ + 1);
    if (k == EntryKind::kTrailer && len == 16) return;
    if ((k == EntryKind::kDocument || k == EntryKind::kDeletion) && len <= kMaxEntryBody &&
        ensure(kEntryPrefix + len + kChecksumSize) &&
        XXH64(buffer_.data() + pos_, kEntryPrefix + len, 0) ==
            base::get_fixed64(buffer_.data() + pos_ + kEntryPrefix + len)) {
      return;
    }
    consume(1);
  }
}

Result<bool> DumpReader::read_line(std::string& line) {
  line.clear();
  while (true) {
    if (pos_ == buffer_.size() && !ensure(1)) return false;  // the input ended before a newline
    const char* start = buffer_.data() + pos_;
    const void* newline = std::memchr(start, '\n', buffer_.size() - pos_);
    if (newline != nullptr) {
      const std::size_t n = static_cast<const char*>(newline) - start;
      line.append(start, n);
      consume(n + 1);
      return true;
    }
    line.append(start, buffer_.size() - pos_);
    consume(buffer_.size() - pos_);
  }
}

Status DumpReader::read_jsonl_header() {
  std::string line;
  auto got = read_line(line);
  if (!got) return got.status();
  if (!*got) return Status::corruption(in_name_ + ": line 1: the header line is not terminated (truncated)");
  auto metadata = from_json(line, kMaxDepth);
  Result<DumpHeader> header =
      metadata ? header_from_value(*metadata) : Result<DumpHeader>(Status::corruption(metadata.status().detail()));
  if (!header && salvage_) {
    header_damaged_ = true;
    skipped_.push_back({"line 1", "the header line: " + header.status().detail()});
    return Status::ok();
  }
  if (!header) return Status(header.code(), in_name_ + ": line 1: " + header.status().detail());
  header_ = std::move(*header);
  return Status::ok();
}

Result<bool> DumpReader::next(DumpEntry& entry) {
  if (done_) return false;
  return format_ == DumpFormat::kMsgpack ? next_binary(entry) : next_jsonl(entry);
}

Result<bool> DumpReader::next_binary(DumpEntry& entry) {
  while (true) {
    const std::uint64_t record = entries_ + 1;
    const std::uint64_t offset = consumed_total_;
    auto where = [&] { return "record " + std::to_string(record) + " at byte " + std::to_string(offset); };
    if (!ensure(kEntryPrefix)) {
      if (salvage_) {
        skipped_.push_back({where(), "the file ends without a trailer (truncated)"});
        done_ = true;
        return false;
      }
      return Status::corruption(in_name_ + ": " + where() + ": the file ends without a trailer (truncated)");
    }
    const auto kind = static_cast<EntryKind>(buffer_[pos_]);
    const std::uint32_t length = base::get_fixed32(buffer_.data() + pos_ + 1);
    std::string problem;
    if (kind == EntryKind::kTrailer) {
      if (length != 16) {
        problem = "trailer length " + std::to_string(length) + " is not 16";
      } else if (!ensure(kEntryPrefix + 16 + kChecksumSize)) {
        problem = "the file ends inside the trailer (truncated)";
      } else {
        const char* p = buffer_.data() + pos_ + kEntryPrefix;
        const std::uint64_t documents = base::get_fixed64(p);
        const std::uint64_t deletions = base::get_fixed64(p + 8);
        consume(kEntryPrefix + 16);
        const std::uint64_t expected = XXH64_digest(file_hash_->state);
        const std::uint64_t stored = base::get_fixed64(buffer_.data() + pos_);
        pos_ += kChecksumSize;
        consumed_total_ += kChecksumSize;
        done_ = true;
        if (!salvage_) {
          if (stored != expected)
            return Status::corruption(in_name_ + ": trailer: the whole-file checksum does not match");
          if (documents != documents_ || deletions != deletions_) {
            return Status::corruption(in_name_ + ": trailer: it counts " + std::to_string(documents) +
                                      " documents and " + std::to_string(deletions) + " deletions, the file holds " +
                                      std::to_string(documents_) + " and " + std::to_string(deletions_));
          }
          if (ensure(1)) return Status::corruption(in_name_ + ": trailer: bytes follow the trailer");
        }
        return false;
      }
    } else if (kind != EntryKind::kDocument && kind != EntryKind::kDeletion) {
      problem = "unknown entry kind " + std::to_string(static_cast<int>(kind));
    } else if (length > kMaxEntryBody) {
      problem = "entry length " + std::to_string(length) + " is implausible";
    } else if (!ensure(kEntryPrefix + length + kChecksumSize)) {
      problem = "the file ends inside the record (truncated)";
    } else if (XXH64(buffer_.data() + pos_, kEntryPrefix + length, 0) !=
               base::get_fixed64(buffer_.data() + pos_ + kEntryPrefix + length)) {
      problem = "checksum mismatch";
    } else {
      const char* body = buffer_.data() + pos_ + kEntryPrefix;
      if (kind == EntryKind::kDocument) {
        if (length < 20 || base::get_fixed32(body + 16) > length - 20) {
          problem = "document entry of " + std::to_string(length) + " bytes is malformed";
        } else {
          const std::uint32_t id_length = base::get_fixed32(body + 16);
          entry.deleted = false;
          entry.version = base::get_fixed64(body);
          entry.revision = base::get_fixed64(body + 8);
          entry.id.assign(body + 20, id_length);
          entry.document.assign(body + 20 + id_length, length - 20 - id_length);
        }
      } else if (length < 8) {
        problem = "deletion entry of " + std::to_string(length) + " bytes is malformed";
      } else {
        entry.deleted = true;
        entry.version = 0;
        entry.revision = base::get_fixed64(body);
        entry.id.assign(body + 8, length - 8);
        entry.document.clear();
      }
    }
    if (problem.empty()) {
      consume(kEntryPrefix + length + kChecksumSize);
      ++entries_;
      ++(entry.deleted ? deletions_ : documents_);
      return true;
    }
    if (!salvage_) return Status::corruption(in_name_ + ": " + where() + ": " + problem);
    skipped_.push_back({where(), problem});
    // The whole-file checksum means nothing after damage; salvage does not
    // check it.
    consume(1);
    resynchronize();
  }
}

Result<bool> DumpReader::next_jsonl(DumpEntry& entry) {
  std::string line;
  while (true) {
    auto got = read_line(line);
    if (!got) return got.status();
    ++line_;
    const std::string where = "line " + std::to_string(line_);
    if (!*got && line.empty()) {
      if (Status s = damaged(where, "the file ends without the \"_end\" line (truncated)"); !s) return s;
      done_ = true;
      return false;
    }
    if (!*got) {
      if (Status s = damaged(where, "the last line is not terminated (truncated)"); !s) return s;
      done_ = true;
      return false;
    }
    auto parsed = from_json(line, kMaxDepth + 2);
    if (!parsed || !parsed->is_object()) {
      if (Status s = damaged(where, parsed ? "not a JSON object" : parsed.status().detail()); !s) return s;
      continue;
    }
    Object& o = parsed->as_object();
    if (auto end = o.find("_end"); end != o.end()) {
      const Value* documents = end->second.find("documents");
      const Value* deletions = end->second.find("deletions");
      done_ = true;
      if (salvage_) return false;
      if (documents == nullptr || !documents->is_int() || deletions == nullptr || !deletions->is_int()) {
        return Status::corruption(in_name_ + ": " + where + ": the \"_end\" line has no document and deletion counts");
      }
      if (static_cast<std::uint64_t>(documents->as_int()) != documents_ ||
          static_cast<std::uint64_t>(deletions->as_int()) != deletions_) {
        return Status::corruption(in_name_ + ": " + where + ": the \"_end\" line counts " + to_json(end->second) +
                                  ", the file holds " + std::to_string(documents_) + " documents and " +
                                  std::to_string(deletions_) + " deletions");
      }
      if (ensure(1))
        return Status::corruption(in_name_ + ": line " + std::to_string(line_ + 1) + ": text after the \"_end\" line");
      return false;
    }
    const Value* revision = parsed->find("_revision");
    const bool revision_ok =
        revision != nullptr && (revision->is_int() ? revision->as_int() >= 0 : revision->is_uint());
    if (const Value* deleted = parsed->find("_deleted"); deleted != nullptr) {
      if (!deleted->is_string() || !revision_ok || o.size() != 2) {
        if (Status s = damaged(where, "a deletion line needs exactly a string \"_deleted\" and \"_revision\""); !s)
          return s;
        continue;
      }
      entry.deleted = true;
      entry.id = deleted->as_string();
      entry.version = 0;
      entry.revision = revision->as_uint();
      entry.document.clear();
      ++deletions_;
      return true;
    }
    const Value* id = parsed->find("_id");
    const Value* version = parsed->find("_version");
    Value* data = o.find("data") == o.end() ? nullptr : &o.find("data")->second;
    const bool version_ok = version != nullptr && (version->is_int() ? version->as_int() >= 0 : version->is_uint());
    if (id == nullptr || !id->is_string() || !version_ok || !revision_ok || data == nullptr || !data->is_object() ||
        o.size() != 4) {
      if (Status s = damaged(where,
                             "a document line needs exactly \"_id\" (string), \"_version\", \"_revision\" "
                             "(integers) and \"data\" (object)");
          !s) {
        return s;
      }
      continue;
    }
    entry.deleted = false;
    entry.id = id->as_string();
    entry.version = version->as_uint();
    entry.revision = revision->as_uint();
    entry.document.clear();
    if (Status s = recovery::encode_document(data->as_object(), entry.document, kMaxDepth); !s) {
      if (Status d = damaged(where, s.detail()); !d) return d;
      continue;
    }
    ++documents_;
    return true;
  }
}

}  // namespace snapstore::tools
