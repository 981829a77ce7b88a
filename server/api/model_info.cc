#include "server/api/model_info.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/config/model_config_loader.h"

namespace affect {
namespace {

std::string LayoutName(v1::TensorLayout layout) {
  switch (layout) {
    case v1::TENSOR_LAYOUT_NHWC:
      return "NHWC";
    case v1::TENSOR_LAYOUT_NCHW:
      return "NCHW";
    case v1::TENSOR_LAYOUT_FLAT:
      return "FLAT";
    default:
      return "";
  }
}

void FillTensorInfo(const v1::TensorSpec& spec, v1::TensorInfo* info) {
  info->set_name(spec.name());
  info->set_data_type("float32");
  for (int64_t d : spec.dims()) info->add_dims(d);
  info->set_layout(LayoutName(spec.layout()));
}

}  // namespace

v1::ModelInfo ToModelInfo(const ModelSnapshot& snapshot) {
  const v1::ModelConfig& config = snapshot.config;
  v1::ModelInfo info;
  info.set_name(config.name());
  info.set_version(snapshot.version);
  info.set_platform(config.platform());
  info.set_task(ModelTaskName(config.task()));
  info.set_state(snapshot.state);
  info.set_state_reason(snapshot.state_reason);
  for (const std::string& label : config.labels()) info.add_labels(label);
  info.set_device(snapshot.device);
  if (config.platform() != kPlatformEnsemble) {
    v1::BatchingInfo* batching = info.mutable_batching();
    batching->set_max_batch_size(config.max_batch_size());
    batching->set_max_queue_delay_us(config.dynamic_batching().max_queue_delay_us());
    for (uint32_t size : config.dynamic_batching().preferred_batch_size()) {
      batching->add_preferred_batch_sizes(size);
    }
    batching->set_max_queue_size(config.dynamic_batching().max_queue_size());
    batching->set_instance_count(config.instance_count());
  }
  for (const auto& spec : config.input()) FillTensorInfo(spec, info.add_inputs());
  for (const auto& spec : config.output()) FillTensorInfo(spec, info.add_outputs());
  for (const auto& member : config.ensemble().member()) info.add_members(member.model());
  const v1::Provenance& provenance = config.provenance();
  std::vector<std::string> parts;
  if (!provenance.source().empty()) parts.push_back(absl::StrCat("source: ", provenance.source()));
  if (!provenance.license().empty()) parts.push_back(absl::StrCat("license: ", provenance.license()));
  if (!provenance.training_data().empty()) {
    parts.push_back(absl::StrCat("trained on: ", provenance.training_data()));
  }
  if (!provenance.notes().empty()) parts.push_back(provenance.notes());
  info.set_description(absl::StrJoin(parts, "; "));
  return info;
}

}  // namespace affect
