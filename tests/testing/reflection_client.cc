#include "tests/testing/reflection_client.h"

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"
#include "reflection_wire.pb.h"

namespace affect::testing {
namespace {

constexpr char kReflectionMethod[] =
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";

// One request, read every response, then done.
class ReflectionCall : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  explicit ReflectionCall(const std::string& request_bytes) {
    grpc::Slice slice(request_bytes);
    request_ = grpc::ByteBuffer(&slice, 1);
  }

  void Begin() {
    StartWrite(&request_);
    StartRead(&response_);
    StartCall();
  }
  void OnWriteDone(bool) override { StartWritesDone(); }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    std::vector<grpc::Slice> slices;
    (void)response_.Dump(&slices);
    std::string bytes;
    for (const grpc::Slice& slice : slices) {
      bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
    absl::MutexLock lock(&mutex_);
    responses_.push_back(std::move(bytes));
    StartRead(&response_);
  }
  void OnDone(const grpc::Status& status) override {
    absl::MutexLock lock(&mutex_);
    status_ = status;
    done_ = true;
  }

  grpc::Status Await(std::vector<std::string>* responses) {
    absl::MutexLock lock(&mutex_);
    mutex_.Await(absl::Condition(&done_));
    *responses = responses_;
    return status_;
  }

 private:
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  absl::Mutex mutex_;
  bool done_ ABSL_GUARDED_BY(mutex_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::string> responses_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace

absl::StatusOr<std::vector<std::string>> ListServicesByReflection(
    const std::shared_ptr<grpc::Channel>& channel) {
  reflection::ServerReflectionRequest request;
  request.set_list_services("*");
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  ReflectionCall call(request.SerializeAsString());
  stub.PrepareBidiStreamingCall(&context, kReflectionMethod, grpc::StubOptions(), &call);
  call.Begin();
  std::vector<std::string> responses;
  const grpc::Status status = call.Await(&responses);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        absl::StrCat("reflection call failed: ", status.error_message()));
  }
  std::vector<std::string> services;
  for (const std::string& bytes : responses) {
    reflection::ServerReflectionResponse response;
    if (!response.ParseFromString(bytes)) return absl::InternalError("unparsable response");
    for (const auto& service : response.list_services_response().service()) {
      services.push_back(service.name());
    }
  }
  return services;
}

}  // namespace affect::testing
