#include "server/models/model_repository.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/common/logging.h"
#include "server/common/status_macros.h"
#include "server/config/model_config_loader.h"
#include "server/engine/torch_batch_executor.h"
#include "server/torch/torch_module.h"

namespace affect {
namespace fs = std::filesystem;

struct ModelRepository::Entry {
  std::string name;
  int64_t version = 0;
  std::shared_ptr<const v1::ModelConfig> config;
  v1::ModelState state = v1::MODEL_STATE_LOADING;
  std::string state_reason;
  std::string device;
  std::shared_ptr<DynamicBatcher> batcher;
};

namespace {

constexpr char kConfigFileName[] = "config.pbtxt";

// A model's inputs filled with a mid-range constant: enough to run every
// layer, and deterministic.
std::vector<Tensor> WarmUpInputs(const v1::ModelConfig& config, int batch_size) {
  std::vector<Tensor> inputs;
  for (const v1::TensorSpec& spec : config.input()) {
    std::vector<int64_t> shape = {batch_size};
    shape.insert(shape.end(), spec.dims().begin(), spec.dims().end());
    Tensor tensor(shape);
    std::fill(tensor.values().begin(), tensor.values().end(), 0.5f);
    inputs.push_back(std::move(tensor));
  }
  return inputs;
}

DeviceSpec DeviceForModel(const v1::ModelConfig& config, const DeviceSpec& server_device) {
  if (config.device() == v1::DEVICE_KIND_CPU) return DeviceSpec::Cpu();
  return server_device;
}

DynamicBatcherOptions BatcherOptionsFor(const v1::ModelConfig& config, EngineObserver* observer) {
  DynamicBatcherOptions options;
  options.model_name = config.name();
  for (const v1::TensorSpec& spec : config.input()) {
    options.input_dims.emplace_back(spec.dims().begin(), spec.dims().end());
  }
  options.max_batch_size = static_cast<int>(std::max<uint32_t>(1, config.max_batch_size()));
  for (uint32_t size : config.dynamic_batching().preferred_batch_size()) {
    options.preferred_batch_sizes.push_back(static_cast<int>(size));
  }
  options.max_queue_delay =
      absl::Microseconds(static_cast<int64_t>(config.dynamic_batching().max_queue_delay_us()));
  options.max_queue_size = static_cast<int>(config.dynamic_batching().max_queue_size());
  options.instance_count = static_cast<int>(config.instance_count());
  options.observer = observer;
  return options;
}

}  // namespace

absl::StatusOr<std::vector<int64_t>> SelectModelVersions(const std::string& model_dir,
                                                         const v1::VersionPolicy& policy) {
  std::vector<int64_t> found;
  std::error_code error;
  for (const auto& item : fs::directory_iterator(model_dir, error)) {
    int64_t version = 0;
    if (item.is_directory() && absl::SimpleAtoi(item.path().filename().string(), &version) &&
        version > 0) {
      found.push_back(version);
    }
  }
  if (error) {
    return absl::NotFoundError(absl::StrCat(model_dir, ": cannot list: ", error.message()));
  }
  std::sort(found.rbegin(), found.rend());
  if (found.empty()) {
    return absl::NotFoundError(absl::StrCat(
        model_dir, " has no version folder (e.g. ", model_dir,
        "/1/model.pt); for the bundled models run models/fetch and models/convert/convert_all.sh"));
  }
  std::vector<int64_t> selected;
  if (policy.has_all()) {
    selected = found;
  } else if (policy.has_specific()) {
    for (int64_t wanted : policy.specific().versions()) {
      if (std::find(found.begin(), found.end(), wanted) == found.end()) {
        return absl::NotFoundError(absl::StrCat(model_dir, ": version_policy names version ",
                                                wanted, ", which has no folder"));
      }
      selected.push_back(wanted);
    }
    std::sort(selected.rbegin(), selected.rend());
  } else {
    const size_t count = std::max<uint32_t>(1, policy.latest().num_versions());
    selected.assign(found.begin(), found.begin() + static_cast<long>(std::min(count, found.size())));
  }
  return selected;
}

absl::Status CheckOutputsMatchConfig(const v1::ModelConfig& config, int batch_size,
                                     const std::vector<Tensor>& outputs) {
  if (static_cast<int>(outputs.size()) != config.output_size()) {
    return absl::FailedPreconditionError(
        absl::StrCat("module returned ", outputs.size(), " output(s) but config lists ",
                     config.output_size()));
  }
  for (int i = 0; i < config.output_size(); ++i) {
    const v1::TensorSpec& spec = config.output(i);
    const std::vector<int64_t>& shape = outputs[static_cast<size_t>(i)].shape();
    bool matches = static_cast<int>(shape.size()) == spec.dims_size() + 1 &&
                   shape[0] == batch_size;
    for (int d = 0; matches && d < spec.dims_size(); ++d) {
      matches = spec.dims(d) == -1 || spec.dims(d) == shape[static_cast<size_t>(d) + 1];
    }
    if (!matches) {
      return absl::FailedPreconditionError(absl::StrCat(
          "output[", i, "] '", spec.name(), "' has shape ", ShapeToString(shape),
          " at batch ", batch_size, " but config says [batch,", absl::StrJoin(spec.dims(), ","),
          "]"));
    }
  }
  return absl::OkStatus();
}

ModelRepository::ModelRepository(ModelRepositoryOptions options) : options_(std::move(options)) {}

ModelRepository::~ModelRepository() { Shutdown(absl::ZeroDuration()); }

absl::StatusOr<std::unique_ptr<ModelRepository>> ModelRepository::Create(
    ModelRepositoryOptions options) {
  std::error_code error;
  if (!fs::is_directory(options.root, error)) {
    return absl::NotFoundError(absl::StrCat("model repository ", options.root,
                                            " is not a directory (--model_repository)"));
  }
  std::unique_ptr<ModelRepository> repository(new ModelRepository(options));
  std::vector<fs::path> folders;
  for (const auto& item : fs::directory_iterator(options.root, error)) {
    if (item.is_directory() && item.path().filename().string()[0] != '.') {
      folders.push_back(item.path());
    }
  }
  std::sort(folders.begin(), folders.end());

  absl::MutexLock lock(&repository->mutex_);
  for (const fs::path& folder : folders) {
    const std::string name = folder.filename().string();
    auto add_failed = [&](const absl::Status& status) {
      auto entry = std::make_unique<Entry>();
      entry->name = name;
      entry->state = v1::MODEL_STATE_FAILED;
      entry->state_reason = std::string(status.message());
      auto config = std::make_shared<v1::ModelConfig>();
      config->set_name(name);
      entry->config = std::move(config);
      AFFECT_LOG(ERROR).With("model", name) << "model not served: " << status.message();
      repository->entries_[{name, 0}] = std::move(entry);
    };
    auto config = LoadModelConfigFile((folder / kConfigFileName).string(), name);
    if (!config.ok()) {
      add_failed(config.status());
      continue;
    }
    // An ensemble has no version folders of its own: it is version 1 of its
    // config; its members' versions are reported with each result.
    std::vector<int64_t> versions = {1};
    if (config->platform() != kPlatformEnsemble) {
      auto selected = SelectModelVersions(folder.string(), config->version_policy());
      if (!selected.ok()) {
        add_failed(selected.status());
        continue;
      }
      versions = *selected;
    }
    auto shared_config = std::make_shared<const v1::ModelConfig>(*std::move(config));
    for (int64_t version : versions) {
      auto entry = std::make_unique<Entry>();
      entry->name = name;
      entry->version = version;
      entry->config = shared_config;
      entry->state_reason = "waiting to load";
      repository->entries_[{name, version}] = std::move(entry);
    }
  }
  return repository;
}

absl::Status ModelRepository::LoadVersion(Entry& entry) {
  const v1::ModelConfig& config = *entry.config;
  const std::string path = (fs::path(options_.root) / entry.name / std::to_string(entry.version) /
                            config.model_filename())
                               .string();
  TorchModuleOptions module_options;
  module_options.device = DeviceForModel(config, options_.device);
  module_options.half_precision = options_.half_precision && config.allow_half_precision();
  AFFECT_ASSIGN_OR_RETURN(std::unique_ptr<TorchModule> loaded,
                          TorchModule::Load(path, module_options));
  std::shared_ptr<const TorchModule> module = std::move(loaded);

  // Warm-up: batch 1, and batch 2 when the model batches, to prove that the
  // module accepts the configured shapes and a dynamic batch dimension.
  // TorchScript's profiling executor also optimises the graph on these runs,
  // so the first real request is not the slow one.
  std::vector<int> warm_up_batches = {1};
  if (config.max_batch_size() > 1) warm_up_batches.push_back(2);
  for (int batch : warm_up_batches) {
    for (int run = 0; run < 2; ++run) {
      const std::vector<Tensor> inputs = WarmUpInputs(config, batch);
      auto outputs = module->Forward(inputs);
      if (!outputs.ok()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "warm-up at batch ", batch, " failed (do the config's input dims match the model?): ",
            outputs.status().message()));
      }
      AFFECT_RETURN_IF_ERROR(CheckOutputsMatchConfig(config, batch, *outputs));
    }
  }
  AFFECT_ASSIGN_OR_RETURN(
      std::unique_ptr<DynamicBatcher> batcher,
      DynamicBatcher::Create(BatcherOptionsFor(config, options_.observer),
                             std::make_shared<TorchBatchExecutor>(module)));
  absl::MutexLock lock(&mutex_);
  entry.batcher = std::move(batcher);
  entry.device = module_options.device.ToString();
  return absl::OkStatus();
}

void ModelRepository::LoadAll() {
  std::vector<Entry*> pending;
  {
    absl::MutexLock lock(&mutex_);
    for (auto& [key, entry] : entries_) {
      if (entry->state == v1::MODEL_STATE_LOADING &&
          entry->config->platform() != kPlatformEnsemble) {
        entry->state_reason = "loading";
        pending.push_back(entry.get());
      }
    }
  }
  // Entries are never removed, so the pointers stay valid; their mutable
  // fields are only touched under the lock.
  for (Entry* entry : pending) {
    const absl::Time start = absl::Now();
    absl::Status status = LoadVersion(*entry);
    absl::MutexLock lock(&mutex_);
    if (status.ok()) {
      entry->state = v1::MODEL_STATE_READY;
      entry->state_reason.clear();
      AFFECT_LOG(INFO).With("model", entry->name).With("version", entry->version)
              .With("device", entry->device)
              .With("load_ms", absl::ToInt64Milliseconds(absl::Now() - start))
          << "model ready";
    } else {
      entry->state = v1::MODEL_STATE_FAILED;
      entry->state_reason = std::string(status.message());
      AFFECT_LOG(ERROR).With("model", entry->name).With("version", entry->version)
          << "model failed to load: " << status.message();
    }
  }
  ResolveEnsembles();
  absl::MutexLock lock(&mutex_);
  loaded_ = true;
}

void ModelRepository::ResolveEnsembles() {
  absl::MutexLock lock(&mutex_);
  for (auto& [key, entry] : entries_) {
    if (entry->config->platform() != kPlatformEnsemble ||
        entry->state != v1::MODEL_STATE_LOADING) {
      continue;
    }
    std::vector<std::string> problems;
    for (const v1::EnsembleMember& member : entry->config->ensemble().member()) {
      bool ready = false;
      bool known = false;
      for (const auto& [other_key, other] : entries_) {
        if (other_key.first != member.model()) continue;
        known = true;
        ready = ready || other->state == v1::MODEL_STATE_READY;
      }
      if (!known) {
        problems.push_back(absl::StrCat("member '", member.model(), "' is not in the repository"));
      } else if (!ready) {
        problems.push_back(absl::StrCat("member '", member.model(), "' is not READY"));
      }
    }
    if (problems.empty()) {
      entry->state = v1::MODEL_STATE_READY;
      entry->state_reason.clear();
      AFFECT_LOG(INFO).With("model", entry->name) << "ensemble ready";
    } else {
      entry->state = v1::MODEL_STATE_FAILED;
      entry->state_reason = absl::StrJoin(problems, "; ");
      AFFECT_LOG(ERROR).With("model", entry->name) << "ensemble not served: " << entry->state_reason;
    }
  }
}

std::vector<ModelSnapshot> ModelRepository::List() const {
  absl::MutexLock lock(&mutex_);
  std::vector<ModelSnapshot> snapshots;
  snapshots.reserve(entries_.size());
  for (const auto& [key, entry] : entries_) {
    snapshots.push_back(
        {*entry->config, entry->version, entry->state, entry->state_reason, entry->device});
  }
  return snapshots;
}

absl::StatusOr<std::vector<ModelSnapshot>> ModelRepository::Find(absl::string_view name) const {
  std::vector<ModelSnapshot> matches;
  for (ModelSnapshot& snapshot : List()) {
    if (snapshot.config.name() == name) matches.push_back(std::move(snapshot));
  }
  if (matches.empty()) {
    return absl::NotFoundError(absl::StrCat("no model named '", name, "' in the repository"));
  }
  return matches;
}

absl::StatusOr<ModelHandle> ModelRepository::Get(absl::string_view name) const {
  absl::MutexLock lock(&mutex_);
  const Entry* best = nullptr;
  std::string reason;
  bool known = false;
  for (const auto& [key, entry] : entries_) {
    if (key.first != name) continue;
    known = true;
    if (entry->state == v1::MODEL_STATE_READY) {
      if (best == nullptr || entry->version > best->version) best = entry.get();
    } else if (reason.empty()) {
      reason = absl::StrCat(v1::ModelState_Name(entry->state),
                            entry->state_reason.empty() ? "" : ": ", entry->state_reason);
    }
  }
  if (!known) {
    return absl::NotFoundError(absl::StrCat("no model named '", name, "' in the repository"));
  }
  if (best == nullptr) {
    return absl::UnavailableError(absl::StrCat("model '", name, "' is not ready (", reason, ")"));
  }
  return ModelHandle{best->name, best->version, best->config, best->batcher};
}

absl::StatusOr<ModelHandle> ModelRepository::GetForTask(v1::ModelTask task) const {
  std::string fallback;
  std::string any_name;
  {
    absl::MutexLock lock(&mutex_);
    for (const auto& [key, entry] : entries_) {
      if (entry->config->task() != task) continue;
      if (any_name.empty()) any_name = entry->name;
      if (entry->state != v1::MODEL_STATE_READY) continue;
      if (entry->config->platform() == kPlatformEnsemble) {
        fallback = entry->name;
        break;
      }
      if (fallback.empty()) fallback = entry->name;
    }
  }
  if (!fallback.empty()) return Get(fallback);
  if (!any_name.empty()) return Get(any_name);  // gives the UNAVAILABLE reason
  return absl::UnavailableError(absl::StrCat("no model for task ", ModelTaskName(task),
                                             " in the repository"));
}

bool ModelRepository::AllReady() const {
  absl::MutexLock lock(&mutex_);
  return loaded_ && std::all_of(entries_.begin(), entries_.end(), [](const auto& item) {
           return item.second->state == v1::MODEL_STATE_READY;
         });
}

bool ModelRepository::loaded() const {
  absl::MutexLock lock(&mutex_);
  return loaded_;
}

void ModelRepository::Shutdown(absl::Duration drain_timeout) {
  std::vector<std::shared_ptr<DynamicBatcher>> batchers;
  {
    absl::MutexLock lock(&mutex_);
    if (shut_down_) return;
    shut_down_ = true;
    for (auto& [key, entry] : entries_) {
      if (entry->batcher) batchers.push_back(entry->batcher);
      if (entry->state == v1::MODEL_STATE_READY) entry->state = v1::MODEL_STATE_UNLOADING;
    }
  }
  // Drain outside the lock: callbacks may call back into List().
  for (const auto& batcher : batchers) batcher->Shutdown(drain_timeout);
}

}  // namespace affect
