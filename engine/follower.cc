// Follower (snapstore/follower.h): recovery::StoreReader opened live, behind
// a reader-writer lock so that catch_up() never changes the state under a read.
#include "snapstore/follower.h"

#include <mutex>
#include <shared_mutex>

#include "recovery/store_reader.h"
#include "value/msgpack_codec.h"

namespace snapstore {
namespace {
// Options::max_nesting_depth's default, as the tools' readers use.
constexpr std::size_t kMaxDepth = 100;
}  // namespace

struct Follower::Impl {
  mutable std::shared_mutex mutex;
  std::unique_ptr<recovery::StoreReader> reader;
};

Follower::Follower(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Follower::Follower(Follower&&) noexcept = default;
Follower& Follower::operator=(Follower&&) noexcept = default;
Follower::~Follower() = default;

Result<Follower> Follower::open(const std::string& dir) {
  auto reader = recovery::StoreReader::open_live(dir);
  if (!reader) return reader.status();
  auto impl = std::make_unique<Impl>();
  impl->reader = std::move(*reader);
  return Follower(std::move(impl));
}

Status Follower::catch_up() {
  std::unique_lock lock(impl_->mutex);
  return impl_->reader->catch_up();
}

std::uint64_t Follower::revision() const {
  std::shared_lock lock(impl_->mutex);
  return impl_->reader->revision();
}

Result<DocumentResult> Follower::get(std::string_view id) const {
  std::shared_lock lock(impl_->mutex);
  return impl_->reader->get(id);
}

Result<std::vector<DocumentResult>> Follower::lookup(std::string_view index, const IndexKey& values) const {
  std::shared_lock lock(impl_->mutex);
  return impl_->reader->lookup(index, values.values());
}

Result<std::vector<DocumentResult>> Follower::lookup_range(std::string_view index, const IndexKey& min,
                                                           const IndexKey& max) const {
  std::shared_lock lock(impl_->mutex);
  return impl_->reader->lookup_range(index, min.values(), max.values());
}

Result<std::size_t> Follower::count(std::string_view index, const IndexKey& values) const {
  std::shared_lock lock(impl_->mutex);
  auto n = impl_->reader->count_equal(index, values.values());
  if (!n) return n.status();
  return static_cast<std::size_t>(*n);
}

Result<std::size_t> Follower::count(std::string_view index, const IndexKey& min, const IndexKey& max) const {
  std::shared_lock lock(impl_->mutex);
  auto n = impl_->reader->count_range(index, min.values(), max.values());
  if (!n) return n.status();
  return static_cast<std::size_t>(*n);
}

Result<std::size_t> Follower::size() const {
  std::shared_lock lock(impl_->mutex);
  auto n = impl_->reader->count();
  if (!n) return n.status();
  return static_cast<std::size_t>(*n);
}

Status Follower::for_each(const std::function<Status(const DocumentResult&)>& visit) const {
  std::shared_lock lock(impl_->mutex);
  return impl_->reader->scan([&](const recovery::StoredDocument& stored) -> Status {
    auto data = value::decode_document(stored.document, kMaxDepth);
    if (!data) return Status::corruption("stored id \"" + std::string(stored.id) + "\": " + data.status().detail());
    DocumentResult doc;
    doc.id = std::string(stored.id);
    doc.version = stored.version;
    doc.revision = stored.revision;
    doc.data = std::move(*data);
    return visit(doc);
  });
}

std::vector<IndexInfo> Follower::indexes() const {
  std::shared_lock lock(impl_->mutex);
  std::vector<IndexInfo> result;
  for (const auto& definition : impl_->reader->indexes()) {
    result.push_back(IndexInfo{definition.name, definition.fields, 0, definition.options});
  }
  return result;
}

}  // namespace snapstore
