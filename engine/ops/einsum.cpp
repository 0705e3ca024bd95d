// einsum: parsed into per-operand label lists, then diagonals, early sums and pairwise batched
// matmuls, all differentiable ops (Note [einsum]).
#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <vector>

#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

// Note [einsum]
// Every dim of every operand gets a label: its letter, or for the dims that "..." stands for, one
// of the labels 52..: the k-th ellipsis dim from the right of each operand shares a label, so
// those dims broadcast as NumPy's. Each operand is first reduced to distinct labels (a repeated
// label takes the diagonal) and then sums out the labels that no other operand and not the output
// has. The operands are then contracted left to right: for operands A and B, a label is batch
// (kept, in both), contracted (in both, needed later by nobody), or belongs to one side; A is
// permuted to [batch, A-only, contracted] and B to [batch, contracted, B-only], both reshaped to
// three dims and multiplied, so one contraction is one batched matmul. Labels of size 1 on one
// side and n on the other are expanded first. The result's labels are finally summed down to
// the output's and permuted into its order.

namespace metagrad {
namespace {

constexpr int kLetters = 52;                  // A-Z then a-z (ASCII order, as PyTorch's)
constexpr int kLabels = kLetters + kMaxDims;  // and the ellipsis dims

using Labels = std::vector<int>;

int letter_label(char c) {
  return std::isupper(static_cast<unsigned char>(c)) ? c - 'A' : c - 'a' + 26;
}

char label_char(int label) {
  if (label >= kLetters) return '.';
  return label < 26 ? static_cast<char>('A' + label) : static_cast<char>('a' + label - 26);
}

// One operand's subscripts: its letters, with the position of "..." (-1 when absent).
struct Subscripts {
  Labels letters;
  int ellipsis_at = -1;
};

Subscripts parse_subscripts(const std::string& text, const std::string& equation) {
  Subscripts s;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ' ') continue;
    if (c == '.') {
      MG_CHECK(s.ellipsis_at < 0 && text.compare(i, 3, "...") == 0,
               "einsum: '.' must come as one \"...\" per operand, in \"{}\"", equation);
      s.ellipsis_at = static_cast<int>(s.letters.size());
      i += 2;
      continue;
    }
    MG_CHECK(std::isalpha(static_cast<unsigned char>(c)),
             "einsum: subscripts must be letters a-z, A-Z or \"...\", got '{}' in \"{}\"", c,
             equation);
    s.letters.push_back(letter_label(c));
  }
  return s;
}

// The labels of an operand of `rank` dims with subscripts `s`, where "..." stands for
// `ellipsis_dims` dims (the rightmost of the equation's ellipsis labels).
Labels expand_labels(const Subscripts& s, int ellipsis_dims, int max_ellipsis) {
  Labels labels;
  for (int i = 0; i <= static_cast<int>(s.letters.size()); ++i) {
    if (i == s.ellipsis_at)
      for (int k = ellipsis_dims; k > 0; --k) labels.push_back(kLetters + max_ellipsis - k);
    if (i < static_cast<int>(s.letters.size())) labels.push_back(s.letters[static_cast<size_t>(i)]);
  }
  return labels;
}

// An operand with one label per dim.
struct Term {
  Tensor value;
  Labels labels;
};

int position_of(const Labels& labels, int label) {
  const auto it = std::find(labels.begin(), labels.end(), label);
  return it == labels.end() ? -1 : static_cast<int>(it - labels.begin());
}

// Takes the diagonal of every repeated label, leaving distinct labels.
Term distinct_labels(Term term) {
  for (bool repeated = true; repeated;) {
    repeated = false;
    for (size_t i = 0; i < term.labels.size() && !repeated; ++i) {
      for (size_t j = i + 1; j < term.labels.size() && !repeated; ++j) {
        if (term.labels[j] != term.labels[i]) continue;
        const auto di = static_cast<int64_t>(i), dj = static_cast<int64_t>(j);
        MG_CHECK(term.value.size(di) == term.value.size(dj),
                 "einsum: subscript '{}' is repeated in an operand of shape {} over dims of "
                 "different sizes",
                 label_char(term.labels[i]), shape_str(term.value.shape()));
        // diagonal() drops both dims and appends the diagonal as the last one.
        const int label = term.labels[i];
        term.value = diagonal(term.value, 0, di, dj);
        term.labels.erase(term.labels.begin() + static_cast<std::ptrdiff_t>(j));
        term.labels.erase(term.labels.begin() + static_cast<std::ptrdiff_t>(i));
        term.labels.push_back(label);
        repeated = true;
      }
    }
  }
  return term;
}

// Sums out the labels for which `needed` is false.
Term sum_unneeded(Term term, const std::array<bool, kLabels>& needed) {
  Dims dims;
  Labels kept;
  for (size_t i = 0; i < term.labels.size(); ++i) {
    if (needed[static_cast<size_t>(term.labels[i])]) {
      kept.push_back(term.labels[i]);
    } else {
      dims.push_back(static_cast<int64_t>(i));
    }
  }
  if (dims.empty()) return term;
  return {sum(term.value, dims), kept};
}

// Permutes `term` to the label order `order` (a permutation of its labels).
Tensor arranged(const Term& term, const Labels& order) {
  Dims perm;
  for (const int label : order) perm.push_back(position_of(term.labels, label));
  return permute(term.value, perm);
}

// The size of `label` in `term` (which has it).
int64_t size_of(const Term& term, int label) {
  return term.value.size(position_of(term.labels, label));
}

int64_t product_of_sizes(const Term& term, const Labels& labels) {
  int64_t n = 1;
  for (const int label : labels) n = checked_mul(n, size_of(term, label), "einsum", "a size");
  return n;
}

// The contraction of a and b (Note [einsum]); `needed` marks the labels used after it.
Term contract(const Term& a, const Term& b, const std::array<bool, kLabels>& needed) {
  Labels batch, a_only, contracted, b_only;
  for (const int label : a.labels) {
    if (position_of(b.labels, label) < 0) {
      a_only.push_back(label);
    } else if (needed[static_cast<size_t>(label)]) {
      batch.push_back(label);
    } else {
      contracted.push_back(label);
    }
  }
  for (const int label : b.labels)
    if (position_of(a.labels, label) < 0) b_only.push_back(label);
  // Shared labels of size 1 on one side broadcast against the other's size.
  Term a_full = a, b_full = b;
  Dims a_shape = a.value.shape(), b_shape = b.value.shape();
  for (const Labels* shared : {&batch, &contracted}) {
    for (const int label : *shared) {
      const int ia = position_of(a.labels, label), ib = position_of(b.labels, label);
      const int64_t na = a_shape[ia], nb = b_shape[ib];
      MG_CHECK(na == nb || na == 1 || nb == 1,
               "einsum: subscript '{}' has size {} in one operand and {} in another; sizes "
               "must match or be 1 (for \"...\" dims)",
               label_char(label), na, nb);
      a_shape[ia] = b_shape[ib] = std::max(na, nb);
    }
  }
  a_full.value = expand(a.value, a_shape);
  b_full.value = expand(b.value, b_shape);
  Labels a_order = batch, b_order = batch;
  a_order.insert(a_order.end(), a_only.begin(), a_only.end());
  a_order.insert(a_order.end(), contracted.begin(), contracted.end());
  b_order.insert(b_order.end(), contracted.begin(), contracted.end());
  b_order.insert(b_order.end(), b_only.begin(), b_only.end());
  const int64_t nbatch = product_of_sizes(a_full, batch), m = product_of_sizes(a_full, a_only),
                k = product_of_sizes(a_full, contracted), n = product_of_sizes(b_full, b_only);
  const Tensor a3 = reshape(arranged(a_full, a_order), {nbatch, m, k});
  const Tensor b3 = reshape(arranged(b_full, b_order), {nbatch, k, n});
  // Nothing to contract: an outer product per batch entry, by broadcasting.
  const Tensor product = contracted.empty() ? a3 * b3 : matmul(a3, b3);
  Term out;
  Dims shape;
  for (const Labels* group : {&batch, &a_only}) {
    for (const int label : *group) {
      out.labels.push_back(label);
      shape.push_back(size_of(a_full, label));
    }
  }
  for (const int label : b_only) {
    out.labels.push_back(label);
    shape.push_back(size_of(b_full, label));
  }
  out.value = reshape(product, shape);
  return out;
}

}  // namespace

Tensor einsum(const std::string& equation, const TensorList& operands) {
  MG_CHECK(!operands.empty(), "einsum: no operands for \"{}\"", equation);
  for (const Tensor& t : operands) detail::check_defined(t, "einsum");
  for (size_t i = 1; i < operands.size(); ++i)
    detail::check_same_kind(operands[0], operands[i], "einsum");
  // Split "lhs->rhs" and lhs at the commas.
  const size_t arrow = equation.find("->");
  const std::string lhs = equation.substr(0, arrow);
  std::vector<Subscripts> inputs;
  for (size_t begin = 0;;) {
    const size_t comma = lhs.find(',', begin);
    inputs.push_back(parse_subscripts(lhs.substr(begin, comma - begin), equation));
    if (comma == std::string::npos) break;
    begin = comma + 1;
  }
  MG_CHECK(inputs.size() == operands.size(), "einsum: \"{}\" names {} operands but {} were given",
           equation, inputs.size(), operands.size());
  // The dims "..." stands for in each operand, and the most of them.
  std::vector<int> ellipsis_dims(inputs.size(), 0);
  int max_ellipsis = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const int letters = static_cast<int>(inputs[i].letters.size());
    const int rank = operands[i].dim();
    if (inputs[i].ellipsis_at < 0) {
      MG_CHECK(rank == letters,
               "einsum: operand {} has {} dims (shape {}) but its subscripts name {}", i, rank,
               shape_str(operands[i].shape()), letters);
    } else {
      MG_CHECK(rank >= letters,
               "einsum: operand {} has {} dims (shape {}), fewer than its {} subscripts", i, rank,
               shape_str(operands[i].shape()), letters);
      ellipsis_dims[i] = rank - letters;
      max_ellipsis = std::max(max_ellipsis, ellipsis_dims[i]);
    }
  }
  // The output's labels: given after "->", or the letters that appear once, sorted, after the
  // ellipsis dims.
  std::array<int, kLabels> count{};
  std::vector<Term> terms;
  for (size_t i = 0; i < inputs.size(); ++i) {
    Term term{operands[i], expand_labels(inputs[i], ellipsis_dims[i], max_ellipsis)};
    for (const int label : term.labels) ++count[static_cast<size_t>(label)];
    terms.push_back(distinct_labels(std::move(term)));
  }
  Labels output;
  if (arrow != std::string::npos) {
    const Subscripts out = parse_subscripts(equation.substr(arrow + 2), equation);
    MG_CHECK(out.ellipsis_at >= 0 || max_ellipsis == 0,
             "einsum: the output of \"{}\" must have \"...\" when an operand has it", equation);
    output = expand_labels(out, max_ellipsis, max_ellipsis);
    for (const int label : output) {
      MG_CHECK(count[static_cast<size_t>(label)] > 0,
               "einsum: output subscript '{}' of \"{}\" appears in no operand", label_char(label),
               equation);
      MG_CHECK(std::count(output.begin(), output.end(), label) == 1,
               "einsum: output subscript '{}' of \"{}\" appears more than once", label_char(label),
               equation);
    }
  } else {
    for (int k = 0; k < max_ellipsis; ++k) output.push_back(kLetters + k);
    for (int label = 0; label < kLetters; ++label)
      if (count[static_cast<size_t>(label)] == 1) output.push_back(label);
  }
  // Reduce each operand alone, then contract left to right (Note [einsum]).
  std::array<bool, kLabels> in_output{};
  for (const int label : output) in_output[static_cast<size_t>(label)] = true;
  const auto needed_after = [&](size_t i) {
    std::array<bool, kLabels> needed = in_output;
    for (size_t j = i + 1; j < terms.size(); ++j)
      for (const int label : terms[j].labels) needed[static_cast<size_t>(label)] = true;
    return needed;
  };
  Term result = sum_unneeded(terms[0], needed_after(0));
  for (size_t i = 1; i < terms.size(); ++i) {
    std::array<bool, kLabels> needed = needed_after(i);
    // Labels of terms[i] needed by the result so far are needed for this contraction too.
    std::array<bool, kLabels> needed_by_b = needed;
    for (const int label : result.labels) needed_by_b[static_cast<size_t>(label)] = true;
    const Term b = sum_unneeded(terms[i], needed_by_b);
    result = contract(result, b, needed);
  }
  result = sum_unneeded(result, in_output);
  return arranged(result, output);
}

}  // namespace metagrad
