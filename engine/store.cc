// Store: the public API, forwarding to engine::StoreCore (see store.h).
#include "snapstore/store.h"

#include "engine/store_core.h"
#include "value/msgpack_scan.h"

namespace snapstore {
namespace {

engine::DocumentArg as_document(const Value& doc) {
  if (doc.is_object()) return engine::DocumentArg{&doc.as_object(), {}};
  return engine::DocumentArg{nullptr, doc.type_name()};
}

// What an index found, handed out as deep copies or as views.
template <typename Doc>
Result<std::vector<Doc>> deliver_found(Result<engine::Snapshots> found) {
  if (!found) return found.status();
  return engine::StoreCore::deliver_all<Doc>(std::move(*found));
}

}  // namespace

Result<Store> Store::open_in_memory(const Options& options) {
  if (Status s = engine::StoreCore::validate_options(options); !s) return s;
  return Store(std::make_shared<engine::StoreCore>(options, 0));
}

Result<Store> Store::open(const std::string& dir, const Options& options) {
  auto core = engine::StoreCore::open(dir, options);
  if (!core) return core.status();
  return Store(std::move(*core));
}

Store::Store(std::shared_ptr<engine::StoreCore> core) : core_(std::move(core)) {}
Store::Store(Store&&) noexcept = default;

Store& Store::operator=(Store&& other) noexcept {
  if (this != &other) {
    close();
    core_ = std::move(other.core_);
  }
  return *this;
}

Store::~Store() { close(); }

Result<WriteResult> Store::insert(const Document& doc) {
  if (!core_) return Status::store_closed();
  return core_->insert(engine::DocumentArg{&doc, {}});
}

Result<WriteResult> Store::insert(const Value& doc) {
  if (!core_) return Status::store_closed();
  return core_->insert(as_document(doc));
}

Result<DocumentResult> Store::get(std::string_view id) const {
  if (!core_) return Status::store_closed();
  auto snapshot = core_->get(id);
  if (!snapshot) return snapshot.status();
  return engine::StoreCore::to_result(**snapshot);
}

Result<DocumentView> Store::get_view(std::string_view id) const {
  if (!core_) return Status::store_closed();
  auto snapshot = core_->get(id);
  if (!snapshot) return snapshot.status();
  return engine::StoreCore::to_view(std::move(*snapshot));
}

Result<WriteResult> Store::update(std::string_view id, const Document& doc) {
  if (!core_) return Status::store_closed();
  return core_->update(id, engine::DocumentArg{&doc, {}});
}

Result<WriteResult> Store::update(std::string_view id, const Value& doc) {
  if (!core_) return Status::store_closed();
  return core_->update(id, as_document(doc));
}

Result<WriteResult> Store::remove(std::string_view id) {
  if (!core_) return Status::store_closed();
  return core_->remove(id);
}

Result<WriteResult> Store::update_if(std::string_view id, const Document& doc, std::uint64_t expected_version) {
  if (!core_) return Status::store_closed();
  return core_->update(id, engine::DocumentArg{&doc, {}}, expected_version);
}

Result<WriteResult> Store::update_if(std::string_view id, const Value& doc, std::uint64_t expected_version) {
  if (!core_) return Status::store_closed();
  return core_->update(id, as_document(doc), expected_version);
}

Result<WriteResult> Store::remove_if(std::string_view id, std::uint64_t expected_version) {
  if (!core_) return Status::store_closed();
  return core_->remove(id, expected_version);
}

Result<std::vector<WriteResult>> Store::write(const WriteBatch& batch) {
  if (!core_) return Status::store_closed();
  return core_->write(batch);
}

Status Store::create_index(std::string_view name, std::vector<std::string> fields) {
  if (!core_) return Status::store_closed();
  return core_->create_index(name, std::move(fields));
}

Status Store::create_index(std::string_view name, std::vector<std::string> fields, const IndexOptions& options) {
  if (!core_) return Status::store_closed();
  return core_->create_index(name, std::move(fields), options);
}

Status Store::drop_index(std::string_view name) {
  if (!core_) return Status::store_closed();
  return core_->drop_index(name);
}

Result<std::vector<DocumentResult>> Store::lookup(std::string_view index, const IndexKey& values) const {
  if (!core_) return Status::store_closed();
  return deliver_found<DocumentResult>(core_->lookup(index, values.values()));
}

Result<std::vector<DocumentResult>> Store::lookup_range(std::string_view index, const IndexKey& min,
                                                        const IndexKey& max) const {
  if (!core_) return Status::store_closed();
  return deliver_found<DocumentResult>(core_->lookup_range(index, min.values(), max.values()));
}

Result<std::vector<DocumentView>> Store::lookup_view(std::string_view index, const IndexKey& values) const {
  if (!core_) return Status::store_closed();
  return deliver_found<DocumentView>(core_->lookup(index, values.values()));
}

Result<std::vector<DocumentView>> Store::lookup_range_view(std::string_view index, const IndexKey& min,
                                                           const IndexKey& max) const {
  if (!core_) return Status::store_closed();
  return deliver_found<DocumentView>(core_->lookup_range(index, min.values(), max.values()));
}

Result<std::size_t> Store::count(std::string_view index, const IndexKey& values) const {
  if (!core_) return Status::store_closed();
  return core_->count(index, values.values());
}

Result<std::size_t> Store::count(std::string_view index, const IndexKey& min, const IndexKey& max) const {
  if (!core_) return Status::store_closed();
  return core_->count_range(index, min.values(), max.values());
}

Result<LookupPlan> Store::explain(std::string_view index, const IndexKey& values) const {
  if (!core_) return Status::store_closed();
  return core_->explain(index, values.values());
}

Result<LookupPlan> Store::explain(std::string_view index, const IndexKey& min, const IndexKey& max) const {
  if (!core_) return Status::store_closed();
  return core_->explain_range(index, min.values(), max.values());
}

Stream Store::stream(std::ptrdiff_t /*buffer_size*/) const {
  if (!core_) return engine::StoreCore::closed_store_stream();
  return core_->stream();
}

Result<Cursor> Store::read() const {
  if (!core_) return Status::store_closed();
  return core_->read();
}

Result<Cursor> Store::read_index(std::string_view name) const {
  if (!core_) return Status::store_closed();
  return core_->read_index(name);
}

Result<Store> Store::clone() const {
  if (!core_) return Status::store_closed();
  auto copy = core_->clone(nullptr);
  if (!copy) return copy.status();
  return Store(std::move(*copy));
}

Result<Store> Store::clone(const CloneFilter& filter) const {
  if (!core_) return Status::store_closed();
  auto copy = core_->clone(filter ? &filter : nullptr);
  if (!copy) return copy.status();
  return Store(std::move(*copy));
}

void detail::SnapshotRef::add_ref(const void* held) noexcept {
  value::SnapshotPtr::add_ref(static_cast<const value::Snapshot*>(held));
}

void detail::SnapshotRef::drop(const void* held) noexcept {
  value::SnapshotPtr::drop(static_cast<const value::Snapshot*>(held));
}

Document DocumentView::to_document() const {
  if (!owner_) return Document{};
  return value::scan::decode_object(detail::ViewAccess::bytes(data_));
}

DocumentResult DocumentView::to_result() const {
  return DocumentResult{std::string(id_), to_document(), version_, revision_};
}

void Store::close() {
  if (core_) core_->close();
}

Status Store::flush() {
  if (!core_) return Status::store_closed();
  return core_->flush();
}

Status Store::checkpoint() {
  if (!core_) return Status::store_closed();
  return core_->checkpoint();
}

Result<BackupInfo> Store::backup(const std::string& dir) const {
  if (!core_) return Status::store_closed();
  return core_->backup(dir, std::nullopt);
}

Result<BackupInfo> Store::backup(const std::string& dir, std::uint64_t since_revision) const {
  if (!core_) return Status::store_closed();
  return core_->backup(dir, since_revision);
}

std::uint64_t Store::durable_revision() const { return core_ ? core_->durable_revision() : 0; }
OpenReport Store::open_report() const { return core_ ? core_->open_report() : OpenReport{}; }

bool Store::is_closed() const { return !core_ || core_->is_closed(); }
std::uint64_t Store::revision() const { return core_ ? core_->revision() : 0; }
std::size_t Store::size() const { return core_ ? core_->size() : 0; }
std::vector<IndexInfo> Store::indexes() const { return core_ ? core_->indexes() : std::vector<IndexInfo>{}; }

}  // namespace snapstore
