#include "server/pipeline/expression_stage.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "server/analysis/face/expression_uncertainty.h"
#include "server/analysis/face/face_crop.h"
#include "server/common/branch_join.h"
#include "server/common/logging.h"
#include "server/common/status_macros.h"
#include "server/config/model_config_loader.h"

namespace affect {
namespace {

v1::ModelRef RefOf(const ModelHandle& model) {
  v1::ModelRef ref;
  ref.set_name(model.name);
  ref.set_version(model.version);
  return ref;
}

// Canonical labels for a member: its own labels, or the ensemble's
// label_map applied to them.
absl::StatusOr<std::vector<std::string>> MemberLabels(const v1::ModelConfig& member,
                                                      const v1::EnsembleMember* mapping) {
  std::vector<std::string> labels(member.labels().begin(), member.labels().end());
  if (mapping == nullptr) return labels;
  for (std::string& label : labels) {
    const auto found = mapping->label_map().find(label);
    if (found == mapping->label_map().end()) {
      return absl::FailedPreconditionError(
          absl::StrCat("ensemble member '", member.name(), "' label '", label,
                       "' is missing from the ensemble's label_map"));
    }
    label = found->second;
  }
  return labels;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ExpressionStage>> ExpressionStage::Create(
    const ModelRepository& repository, const ModelHandle& model) {
  return CreateWithMembers(
      model, [&repository](const std::string& name) { return repository.Get(name); });
}

absl::StatusOr<std::unique_ptr<ExpressionStage>> ExpressionStage::CreateWithMembers(
    const ModelHandle& model, const MemberResolver& resolve_member) {
  std::unique_ptr<ExpressionStage> stage(new ExpressionStage());
  stage->model_ref_ = RefOf(model);
  stage->min_confidence_ = model.config->min_confidence();
  auto add_member = [&](const ModelHandle& handle, const v1::EnsembleMember* mapping,
                        float weight) -> absl::Status {
    const v1::ModelConfig& config = *handle.config;
    if (config.input_size() != 1 || config.output_size() != 1) {
      return absl::FailedPreconditionError(absl::StrCat(
          "expression model '", config.name(), "' must have one input and one output"));
    }
    AFFECT_ASSIGN_OR_RETURN(std::vector<std::string> labels, MemberLabels(config, mapping));
    AFFECT_ASSIGN_OR_RETURN(analysis::ExpressionReader reader,
                            analysis::ExpressionReader::Create(labels, RefOf(handle)));
    stage->members_.push_back(Member{handle, std::move(reader), weight});
    return absl::OkStatus();
  };
  if (model.config->platform() == kPlatformEnsemble) {
    for (const v1::EnsembleMember& member : model.config->ensemble().member()) {
      AFFECT_ASSIGN_OR_RETURN(ModelHandle handle, resolve_member(member.model()));
      AFFECT_RETURN_IF_ERROR(add_member(handle, &member, member.weight()));
      *stage->model_ref_.add_members() = RefOf(handle);
    }
  } else {
    AFFECT_RETURN_IF_ERROR(add_member(model, nullptr, 1.0f));
  }
  return stage;
}

void ExpressionStage::Run(std::shared_ptr<const cv::Mat> rgb,
                          std::shared_ptr<const std::vector<analysis::FaceDetection>> faces,
                          const ModelCallContext& context, ThreadPool* workers,
                          ExpressionCallback done) const {
  const absl::Time start = absl::Now();
  const size_t num_faces = faces->size();
  const size_t num_members = members_.size();
  // crops[m][f]: whether member m could crop face f. A face gets an
  // expression only when every member could read it, so an ensemble result
  // always has all its members behind it.
  std::vector<std::vector<std::vector<Tensor>>> items(num_members);
  std::vector<bool> usable(num_faces, true);
  std::vector<std::vector<Tensor>> inputs(num_members, std::vector<Tensor>(num_faces));
  for (size_t m = 0; m < num_members; ++m) {
    const v1::ModelConfig& config = *members_[m].model.config;
    for (size_t f = 0; f < num_faces && usable[f]; ++f) {
      auto input = analysis::MakeFaceInput(*rgb, (*faces)[f], config.face_crop(), config.input(0));
      if (input.ok()) {
        inputs[m][f] = *std::move(input);
      } else {
        AFFECT_LOG(DEBUG).With("model", config.name()) << "face crop skipped: " << input.status();
        usable[f] = false;
      }
    }
  }
  std::vector<size_t> usable_faces;
  for (size_t f = 0; f < num_faces; ++f) {
    if (usable[f]) usable_faces.push_back(f);
  }
  // The members run concurrently; the last to finish combines them.
  struct Join {
    explicit Join(size_t members) : branches(static_cast<int>(members)), scores(members) {}
    BranchJoin branches;
    absl::Mutex mutex;
    std::vector<std::vector<analysis::ExpressionScores>> scores
        ABSL_GUARDED_BY(mutex);  // [member][usable face]
    PipelineTimings timings ABSL_GUARDED_BY(mutex);
    ExpressionCallback done;  // set before the members start; run by the last
  };
  auto join = std::make_shared<Join>(num_members);
  const absl::Duration preprocess = absl::Now() - start;
  if (usable_faces.empty()) {
    ExpressionStageResult nothing{FaceExpressions(num_faces), PipelineTimings{}};
    nothing.timings.postprocess = preprocess;
    std::move(done)(std::move(nothing));
    return;
  }
  {
    absl::MutexLock lock(&join->mutex);
    join->timings.postprocess = preprocess;
  }
  join->done = std::move(done);

  for (size_t m = 0; m < num_members; ++m) {
    std::vector<std::vector<Tensor>> member_items;
    member_items.reserve(usable_faces.size());
    for (size_t f : usable_faces) member_items.push_back({std::move(inputs[m][f])});
    CallModel(
        members_[m].model, std::move(member_items), context, workers,
        [this, m, join, usable_faces, num_faces](absl::StatusOr<InferenceResult> result) {
          const absl::Time post_start = absl::Now();
          std::vector<analysis::ExpressionScores> member_scores;
          absl::Status status = result.status();
          if (status.ok()) {
            for (const std::vector<Tensor>& outputs : result->outputs) {
              auto scores = members_[m].reader.CanonicalScores(outputs.at(0));
              if (!scores.ok()) {
                status = absl::InternalError(absl::StrCat(
                    "expression model '", members_[m].model.name,
                    "' gave unusable output: ", scores.status().message()));
                break;
              }
              member_scores.push_back(*scores);
            }
          }
          {
            absl::MutexLock lock(&join->mutex);
            join->scores[m] = std::move(member_scores);
            if (result.ok()) join->timings.AddModelCall(*result);
            join->timings.postprocess += absl::Now() - post_start;
          }
          const std::optional<absl::Status> joined = join->branches.BranchDone(status);
          if (!joined.has_value()) return;
          // The last member: the join is this thread's alone from here.
          if (!joined->ok()) return std::move(join->done)(*joined);
          ExpressionStageResult combined{FaceExpressions(num_faces), PipelineTimings{}};
          {
            absl::MutexLock lock(&join->mutex);
            combined.timings = join->timings;
            float total_weight = 0.0f;
            for (const Member& member : members_) total_weight += member.weight;
            for (size_t u = 0; u < usable_faces.size(); ++u) {
              analysis::ExpressionScores mean{};
              for (size_t k = 0; k < members_.size(); ++k) {
                for (size_t c = 0; c < mean.size(); ++c) {
                  mean[c] += members_[k].weight / total_weight * join->scores[k][u][c];
                }
              }
              v1::ExpressionResult expression = analysis::MakeExpressionResult(mean, model_ref_);
              std::vector<analysis::MemberReading> readings;
              for (size_t k = 0; k < members_.size(); ++k) {
                readings.push_back({members_[k].model.name, join->scores[k][u]});
              }
              analysis::ApplyExpressionUncertainty(min_confidence_, readings, &expression);
              combined.expressions[usable_faces[u]] = std::move(expression);
            }
          }
          std::move(join->done)(std::move(combined));
        });
  }
}

}  // namespace affect
