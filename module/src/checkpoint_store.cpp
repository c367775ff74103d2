#include "sekoia/checkpoint_store.hpp"

#include "sekoia/errors.hpp"

namespace sekoia {

std::optional<nlohmann::json> ObjectCheckpointStore::Load() {
  // A StorageError (it exists but cannot be read) goes up as it is: never a fresh start over it.
  const std::optional<std::string> text = objects_.Read(name_);
  if (!text) return std::nullopt;
  const std::string where = objects_.Where(name_);
  if (text->find_first_not_of(" \t\r\n") == std::string::npos)
    throw ParseError(where + " is empty");
  nlohmann::json value = nlohmann::json::parse(*text, nullptr, false);
  if (value.is_discarded()) throw ParseError(where + " is not valid JSON (truncated or corrupted)");
  if (!value.is_object()) throw ParseError(where + " does not hold a JSON object");
  return value;
}

void ObjectCheckpointStore::Save(const nlohmann::json& checkpoint) {
  objects_.Write(name_, checkpoint.dump() + "\n");
}

}  // namespace sekoia
