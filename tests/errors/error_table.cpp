// The table's concatenation and the header scanner of the coverage test.
#include "tests/errors/error_table.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>

namespace metagrad::testing {

ErrorTable all_error_cases() {
  ErrorTable all;
  for (ErrorTable part :
       {elementwise_error_cases(), tensor_op_error_cases(), conv_error_cases(), nn_error_cases(),
        optim_error_cases(), class_error_cases(), misc_error_cases(), implicit_solver_error_cases(),
        implicit_root_error_cases(), implicit_module_error_cases(), zero_order_error_cases(),
        distributed_error_cases(), dense_linalg_error_cases(), attention_error_cases(),
        layer_error_cases(), volume_error_cases(), selection_error_cases(),
        joining_error_cases()}) {
    for (ErrorCase& c : part) all.push_back(std::move(c));
  }
  return all;
}

namespace {

bool starts_with_word(const std::string& line, const char* word) {
  const std::string w(word);
  return line.compare(0, w.size(), w) == 0 &&
         (line.size() == w.size() ||
          !(std::isalnum(static_cast<unsigned char>(line[w.size()])) || line[w.size()] == '_'));
}

bool is_ident(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

}  // namespace

std::vector<std::string> declared_public_names(const std::string& header) {
  std::ifstream in(header);
  MG_CHECK(in.good(), "declared_public_names: cannot read {}", header);
  static const char* const kNotFunctions[] = {"struct",   "class",   "enum",         "union",
                                              "using",    "typedef", "concept",      "namespace",
                                              "template", "extern",  "static_assert"};
  std::vector<std::string> names;
  std::set<std::string> seen;
  std::string line;
  bool in_detail = false;  // inside `namespace detail { ... }`: internal, not public
  while (std::getline(in, line)) {
    if (starts_with_word(line, "namespace") && line.find("detail") != std::string::npos) {
      in_detail = line.find('{') != std::string::npos;
      continue;
    }
    if (in_detail) {
      in_detail = !(line.rfind('}', 0) == 0 && line.find("namespace") != std::string::npos);
      continue;
    }
    if (line.empty() || !(std::isalpha(static_cast<unsigned char>(line[0])) || line[0] == '_')) {
      continue;
    }
    if (starts_with_word(line, "class")) {
      // "class Name : public Base {" or "class Name {" (not a forward declaration "class Name;").
      size_t begin = 6, end = 6;
      while (end < line.size() && is_ident(line[end])) ++end;
      const std::string name = line.substr(begin, end - begin);
      if (!name.empty() && line.find(';') == std::string::npos && seen.insert(name).second) {
        names.push_back(name);
      }
      continue;
    }
    bool skip = false;
    for (const char* word : kNotFunctions) skip = skip || starts_with_word(line, word);
    const size_t paren = line.find('(');
    if (skip || paren == std::string::npos) continue;
    // The name ends at the '(' (an operator's symbol may sit between "operator" and the '(').
    const std::string head = line.substr(0, paren);
    if (head.find('=') != std::string::npos && head.find("operator") == std::string::npos) {
      continue;  // a variable with an initialiser
    }
    std::string name;
    const size_t op = head.rfind("operator");
    if (op != std::string::npos && (op == 0 || !is_ident(head[op - 1]))) {
      name = head.substr(op);
      name.erase(std::remove(name.begin(), name.end(), ' '), name.end());
    } else {
      size_t end = head.size();
      while (end > 0 && head[end - 1] == ' ') --end;
      size_t begin = end;
      while (begin > 0 && is_ident(head[begin - 1])) --begin;
      name = head.substr(begin, end - begin);
    }
    if (!name.empty() && seen.insert(name).second) names.push_back(name);
  }
  return names;
}

}  // namespace metagrad::testing
