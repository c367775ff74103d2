#pragma once
// The checkers' command lines: --name value pairs and words, the first word the subcommand, in
// any order.

#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace checkers {

class Arguments final {
 public:
  /** Every "--name" takes the next word as its value; the first other word is the subcommand.
   *  Throws std::invalid_argument on a "--name" without a value. */
  Arguments(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
      const std::string word = argv[i];
      if (word.rfind("--", 0) == 0) {
        if (i + 1 >= argc) throw std::invalid_argument(word + ": a value is missing");
        named_[word.substr(2)] = argv[++i];
      } else if (command_.empty()) {
        command_ = word;
      } else {
        positional_.push_back(word);
      }
    }
  }
  const std::string& command() const { return command_; }
  const std::vector<std::string>& positional() const { return positional_; }
  bool Has(const std::string& name) const { return named_.count(name) != 0; }
  /** Throws std::invalid_argument naming the option when it is absent. */
  const std::string& Text(const std::string& name) const {
    const auto it = named_.find(name);
    if (it == named_.end()) throw std::invalid_argument("--" + name + " is required");
    return it->second;
  }
  std::string Text(const std::string& name, const std::string& otherwise) const {
    return Has(name) ? Text(name) : otherwise;
  }
  /** A number; throws std::invalid_argument naming the option when it is not one. */
  double Number(const std::string& name) const {
    const std::string& text = Text(name);
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0')
      throw std::invalid_argument("--" + name + ": '" + text + "' is not a number");
    return value;
  }
  double Number(const std::string& name, double otherwise) const {
    return Has(name) ? Number(name) : otherwise;
  }

 private:
  std::string command_;
  std::map<std::string, std::string> named_;
  std::vector<std::string> positional_;
};

}  // namespace checkers
