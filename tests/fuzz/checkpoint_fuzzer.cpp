// libFuzzer target: the checkpoint loader: context.json as FileCheckpointStore reads it, then
// the collector's cursor as it is restored from it.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "collector.hpp"
#include "sekoia/checkpoint_store.hpp"
#include "sekoia/errors.hpp"

namespace {

const std::filesystem::path& CheckpointFile() {
  static const std::filesystem::path file = [] {
    auto dir = std::filesystem::temp_directory_path() /
               ("checkpoint-fuzzer-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    return dir / "context.json";
  }();
  return file;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  {
    std::ofstream out(CheckpointFile(), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  sekoia::FileCheckpointStore store(CheckpointFile());
  try {
    auto document = store.Load();
    if (!document) return 0;
    message_trace::CollectorCursor cursor = message_trace::CursorFromJson(*document);
    // What was restored is what would be written back: the round trip must hold.
    message_trace::CollectorCursor again =
        message_trace::CursorFromJson(message_trace::CursorToJson(cursor));
    if (again.next_start != cursor.next_start ||
        again.window.has_value() != cursor.window.has_value()) {
      __builtin_trap();
    }
  } catch (const sekoia::ParseError&) {
  }
  return 0;
}
