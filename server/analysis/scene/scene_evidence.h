// What detected objects say about a scene: category candidates (office,
// living room, ...) and indoor/outdoor, from documented tables
// (server/analysis/README.md "Scene categories", "Indoor or outdoor").
//
// Evidence of one label = 1 - prod(1 - score) over its detections (the
// chance that at least one is real), so ten chairs do not outweigh one bed.
// A category's raw score = sum over its labels of weight x evidence; its
// reported score = raw / (sum of all categories' raw), i.e. its share of the
// evidence. Pure and thread-safe.
#ifndef AFFECT_SERVER_ANALYSIS_SCENE_SCENE_EVIDENCE_H_
#define AFFECT_SERVER_ANALYSIS_SCENE_SCENE_EVIDENCE_H_

#include <string>
#include <vector>

#include "affect/v1/results.pb.h"
#include "google/protobuf/repeated_field.h"

namespace affect::analysis {

using DetectedObjects = google::protobuf::RepeatedPtrField<v1::DetectedObject>;

struct LabelWeight {
  const char* label;
  float weight;
};

struct SceneCategoryRule {
  const char* category;
  std::vector<LabelWeight> evidence;
};

// The category table, in tie-break order.
const std::vector<SceneCategoryRule>& SceneCategoryTable();

// Labels that point indoors / outdoors, with weights.
const std::vector<LabelWeight>& IndoorEvidenceTable();
const std::vector<LabelWeight>& OutdoorEvidenceTable();

struct SceneEvidenceOptions {
  // A category is listed when its raw score reaches this (0.3 = one
  // weight-1 object at score 0.3, or a strong weak-evidence object).
  float min_category_evidence = 0.3f;
  int max_categories = 3;
  // Indoor/outdoor is decided when indoor + outdoor evidence reaches this.
  float min_environment_evidence = 0.3f;
  // Evidence at which the environment confidence stops growing with more
  // evidence (see EstimateEnvironment).
  float environment_saturation = 1.0f;
};

// Categories by descending score (ties: table order), each with the labels
// that contributed, largest contribution first. Empty when no category
// reaches min_category_evidence.
std::vector<v1::SceneCategoryScore> InferSceneCategories(
    const DetectedObjects& objects, const SceneEvidenceOptions& options);

struct EnvironmentEstimate {
  v1::Environment environment = v1::ENVIRONMENT_UNSPECIFIED;
  // winner / (indoor + outdoor) x min(1, (indoor + outdoor) / saturation):
  // agreement of the cues times how much evidence there is. 0 when
  // unspecified.
  float confidence = 0.0f;
  float indoor_evidence = 0.0f;
  float outdoor_evidence = 0.0f;
};

// UNSPECIFIED when the objects carry too little evidence or tie.
EnvironmentEstimate EstimateEnvironment(const DetectedObjects& objects,
                                        const SceneEvidenceOptions& options);

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_SCENE_SCENE_EVIDENCE_H_
