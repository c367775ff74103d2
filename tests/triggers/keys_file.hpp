#pragma once

#include <filesystem>

#include "forwarded_keys.hpp"
#include "sekoia/object_store.hpp"

namespace message_trace {

/** Forwarded keys in the file `path`, as the trigger keeps them beside context.json (a
 *  DirectoryObjectStore over the file's directory, which must exist for saving). */
struct KeysFile {
  explicit KeysFile(const std::filesystem::path& path)
      : store(path.parent_path()), keys(store, path.filename().string()) {}
  sekoia::DirectoryObjectStore store;
  ForwardedKeys keys;
};

}  // namespace message_trace
