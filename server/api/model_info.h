// Builds the ListModels view of a repository entry.
#ifndef AFFECT_SERVER_API_MODEL_INFO_H_
#define AFFECT_SERVER_API_MODEL_INFO_H_

#include "affect/v1/affect_service.pb.h"
#include "server/models/model_repository.h"

namespace affect {

v1::ModelInfo ToModelInfo(const ModelSnapshot& snapshot);

}  // namespace affect

#endif  // AFFECT_SERVER_API_MODEL_INFO_H_
