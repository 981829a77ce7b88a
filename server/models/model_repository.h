// The model repository: every model folder under --model_repository, loaded,
// warmed up and served through its own DynamicBatcher.
//
// A model that fails to load or warm up is kept in the list in state FAILED
// with the reason (and a log line); the other models keep serving.
#ifndef AFFECT_SERVER_MODELS_MODEL_REPOSITORY_H_
#define AFFECT_SERVER_MODELS_MODEL_REPOSITORY_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "affect/v1/affect_service.pb.h"
#include "affect/v1/model_config.pb.h"
#include "server/engine/dynamic_batcher.h"
#include "server/engine/engine_observer.h"
#include "server/engine/inference_request.h"
#include "server/torch/device_spec.h"

namespace affect {

class TorchModule;

// One version of one model as the repository sees it.
struct ModelSnapshot {
  v1::ModelConfig config;
  int64_t version = 0;
  v1::ModelState state = v1::MODEL_STATE_UNSPECIFIED;
  std::string state_reason;
  std::string device;  // "cpu", "cuda:0"; empty for ensembles
};

// A handle for submitting work to a READY model. Cheap to copy; keeps the
// batcher alive while held.
struct ModelHandle {
  std::string name;
  int64_t version = 0;
  std::shared_ptr<const v1::ModelConfig> config;
  std::shared_ptr<DynamicBatcher> batcher;  // null for ensembles

  // Same contract as DynamicBatcher::Submit. Ensembles have no batcher of
  // their own (their members do): FAILED_PRECONDITION.
  absl::Status Submit(std::unique_ptr<InferenceRequest>& request) const {
    if (batcher == nullptr) {
      return absl::FailedPreconditionError("model '" + name +
                                           "' is an ensemble: submit to its members");
    }
    return batcher->Submit(request);
  }
};

struct ModelRepositoryOptions {
  // Folder holding one sub-folder per model.
  std::string root;
  // Resolved server device (not kAuto).
  DeviceSpec device = DeviceSpec::Cpu();
  // Run models that allow it in float16 on CUDA.
  bool half_precision = false;
  // Not owned; may be null.
  EngineObserver* observer = nullptr;
};

// Thread-safe. Typical life: Create -> LoadAll (possibly on a background
// thread while the server answers health NOT_SERVING) -> Get/Submit ->
// Shutdown.
class ModelRepository {
 public:
  // Scans `root` for model folders and reads their configs (a config error
  // marks that model FAILED; it is not fatal). NOT_FOUND when `root` is not
  // a directory.
  static absl::StatusOr<std::unique_ptr<ModelRepository>> Create(ModelRepositoryOptions options);

  ~ModelRepository();
  ModelRepository(const ModelRepository&) = delete;
  ModelRepository& operator=(const ModelRepository&) = delete;

  // Loads, checks and warms up every model that is not FAILED; ensembles
  // become READY when all their members are. Blocks until done.
  void LoadAll();

  // Every model version, sorted by name then version.
  std::vector<ModelSnapshot> List() const;
  // NOT_FOUND for an unknown name.
  absl::StatusOr<std::vector<ModelSnapshot>> Find(absl::string_view name) const;

  // The newest READY version of `name`. NOT_FOUND when unknown; UNAVAILABLE
  // (with the state reason) when no version is READY.
  absl::StatusOr<ModelHandle> Get(absl::string_view name) const;

  // The READY model serving `task` (the first by name that is READY; an
  // ensemble wins over a plain model for the same task), or UNAVAILABLE.
  absl::StatusOr<ModelHandle> GetForTask(v1::ModelTask task) const;

  // True when every model that was found is READY (none LOADING/FAILED).
  bool AllReady() const;
  // True when LoadAll has finished.
  bool loaded() const;

  // Drains every batcher (see DynamicBatcher::Shutdown). Models become
  // UNLOADING. Idempotent.
  void Shutdown(absl::Duration drain_timeout);

 private:
  struct Entry;
  explicit ModelRepository(ModelRepositoryOptions options);

  absl::Status LoadVersion(Entry& entry);
  void ResolveEnsembles();

  const ModelRepositoryOptions options_;
  mutable absl::Mutex mutex_;
  std::map<std::pair<std::string, int64_t>, std::unique_ptr<Entry>> entries_ ABSL_GUARDED_BY(mutex_);
  bool loaded_ ABSL_GUARDED_BY(mutex_) = false;
  bool shut_down_ ABSL_GUARDED_BY(mutex_) = false;
};

// Versions of a model folder selected by its version policy: the numeric
// sub-folders, newest first. Exposed for tests.
absl::StatusOr<std::vector<int64_t>> SelectModelVersions(const std::string& model_dir,
                                                         const v1::VersionPolicy& policy);

// Checks a warm-up batch's outputs against the config (count and shapes,
// -1 matching anything). Exposed for tests.
absl::Status CheckOutputsMatchConfig(const v1::ModelConfig& config, int batch_size,
                                     const std::vector<Tensor>& outputs);

}  // namespace affect

#endif  // AFFECT_SERVER_MODELS_MODEL_REPOSITORY_H_
