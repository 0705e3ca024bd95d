#include <algorithm>
#include <cmath>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::noncontiguous;
using metagrad::testing::randn64;

namespace {

// Plain-loop reference of a batched product of [..., m, k] x [..., k, n] with broadcast batch
// dims (both operands at least 2-D), independent of the Eigen kernel.
Tensor reference_matmul(const Tensor& a, const Tensor& b) {
  const std::vector<double> x = a.to_vector<double>(), y = b.to_vector<double>();
  const int64_t m = a.size(-2), k = a.size(-1), n = b.size(-1);
  const int na = a.dim() - 2, nb = b.dim() - 2, lead = std::max(na, nb);
  Dims batch;
  for (int i = 0; i < lead; ++i) {
    const int64_t sa = i >= lead - na ? a.size(i - (lead - na)) : 1;
    const int64_t sb = i >= lead - nb ? b.size(i - (lead - nb)) : 1;
    batch.push_back(std::max(sa, sb));
  }
  Dims shape = batch;
  shape.push_back(m);
  shape.push_back(n);
  std::vector<double> out(numel_of(shape));
  for (int64_t flat = 0; flat < numel_of(batch); ++flat) {
    // Offsets (in matrices) of this batch entry in a and b, broadcasting size-1 dims.
    int64_t rem = flat, off_a = 0, off_b = 0, mul_a = 1, mul_b = 1;
    for (int i = lead - 1; i >= 0; --i) {
      const int64_t idx = rem % batch[i];
      rem /= batch[i];
      if (i >= lead - na) {
        const int64_t s = a.size(i - (lead - na));
        off_a += (s == 1 ? 0 : idx) * mul_a;
        mul_a *= s;
      }
      if (i >= lead - nb) {
        const int64_t s = b.size(i - (lead - nb));
        off_b += (s == 1 ? 0 : idx) * mul_b;
        mul_b *= s;
      }
    }
    for (int64_t r = 0; r < m; ++r)
      for (int64_t c = 0; c < n; ++c) {
        double acc = 0;
        for (int64_t j = 0; j < k; ++j)
          acc += x[off_a * m * k + r * k + j] * y[off_b * k * n + j * n + c];
        out[flat * m * n + r * n + c] = acc;
      }
  }
  return tensor(out, shape, kFloat64);
}

Tensor plain(const Dims& shape, uint64_t seed) { return randn64(shape, seed).detach(); }

// Largest |x| over the elements.
double max_abs(const Tensor& x) {
  double m = 0;
  for (double v : x.to_vector<double>()) m = std::max(m, std::abs(v));
  return m;
}

}  // namespace

TEST_CASE("mm and matmul match hand-computed products", "[linalg]") {
  const Tensor a = tensor({1, 2, 3, 4, 5, 6}, {2, 3}, kFloat64);
  const Tensor b = tensor({7, 8, 9, 10, 11, 12}, {3, 2}, kFloat64);
  const Tensor expected = tensor({58, 64, 139, 154}, {2, 2}, kFloat64);
  CHECK(allclose(mm(a, b), expected));
  CHECK(allclose(matmul(a, b), expected));
  CHECK(allclose(a.matmul(b), expected));
  // Transposed operands are read in place: b^T a^T = (a b)^T.
  CHECK(allclose(mm(t(b), t(a)), t(expected).contiguous()));
  // float32 too.
  CHECK(allclose(mm(a.to(kFloat32), b.to(kFloat32)), expected.to(kFloat32)));
}

TEST_CASE("dot, mv, outer and the vector cases of matmul", "[linalg]") {
  const Tensor u = tensor({1, 2, 3}, kFloat64), v = tensor({4, 5, 6}, kFloat64);
  const Tensor d = dot(u, v);
  CHECK(d.dim() == 0);
  CHECK(d.item<double>() == 32.0);
  CHECK(u.dot(v).item<double>() == 32.0);
  CHECK(matmul(u, v).dim() == 0);
  CHECK(matmul(u, v).item<double>() == 32.0);

  const Tensor m = tensor({1, 2, 3, 4, 5, 6}, {2, 3}, kFloat64);
  CHECK(allclose(mv(m, u), tensor({14, 32}, kFloat64)));
  CHECK(allclose(m.mv(u), tensor({14, 32}, kFloat64)));
  CHECK(allclose(matmul(m, u), tensor({14, 32}, kFloat64)));
  // 1-D on the left is a row vector: [2] x [2, 3] -> [3].
  CHECK(allclose(matmul(tensor({1, -1}, kFloat64), m), tensor({-3, -3, -3}, kFloat64)));
  CHECK(
      allclose(outer(tensor({1, 2}, kFloat64), v), tensor({4, 5, 6, 8, 10, 12}, {2, 3}, kFloat64)));

  // N-D x 1-D appends then removes a dim; 1-D x N-D prepends then removes one.
  const Tensor batch = plain({4, 2, 3}, 1);
  CHECK(matmul(batch, u).shape() == Dims{4, 2});
  CHECK(allclose(matmul(batch, u), reference_matmul(batch, u.unsqueeze(-1)).squeeze(-1), 1e-12));
  const Tensor right = plain({4, 3, 5}, 2);
  CHECK(matmul(u, right).shape() == Dims{4, 5});
  CHECK(allclose(matmul(u, right), reference_matmul(u.unsqueeze(0), right).squeeze(-2), 1e-12));
}

TEST_CASE("matmul reads strided, transposed and broadcast operands", "[linalg]") {
  const Tensor a = plain({5, 4}, 3), b = plain({4, 6}, 4);
  const Tensor expected = reference_matmul(a, b);
  // Column-major (transposed) views, views with neither stride 1 (copied), row stride > cols.
  CHECK(allclose(matmul(t(t(a).contiguous()), b), expected, 1e-12));
  CHECK(allclose(matmul(a, t(t(b).contiguous())), expected, 1e-12));
  CHECK(allclose(matmul(noncontiguous(a), noncontiguous(b)), expected, 1e-12));
  CHECK(allclose(matmul(t(noncontiguous(t(a).contiguous())), b), expected, 1e-12));
  const Tensor wide = plain({5, 9}, 5);
  CHECK(allclose(matmul(wide.slice(1, 2, 6), b), reference_matmul(wide.slice(1, 2, 6), b), 1e-12));
  // Stride-0 matrices (an expanded row / column).
  const Tensor row = plain({1, 4}, 6).expand({5, 4}), col = plain({4, 1}, 7).expand({4, 6});
  CHECK(allclose(matmul(row, col), reference_matmul(row, col), 1e-12));
  // Batched, transposed in the matrix dims and in the batch dims.
  const Tensor x = plain({3, 4, 5}, 8), y = plain({5, 3, 2}, 9);
  const Tensor xt = x.transpose(1, 2), yp = y.permute({1, 0, 2});
  CHECK(allclose(matmul(xt.transpose(1, 2), yp), reference_matmul(x, yp), 1e-12));
  CHECK(allclose(matmul(x.transpose(0, 1).transpose(0, 1), yp), reference_matmul(x, yp), 1e-12));
}

TEST_CASE("matmul broadcasts batch dims", "[linalg]") {
  const Tensor a = plain({2, 1, 3, 4}, 10), b = plain({5, 4, 6}, 11);
  const Tensor c = matmul(a, b);
  CHECK(c.shape() == Dims{2, 5, 3, 6});
  CHECK(allclose(c, reference_matmul(a, b), 1e-12));
  // 2-D x N-D broadcasts the matrix over the batch.
  const Tensor m = plain({3, 4}, 12);
  CHECK(matmul(m, b).shape() == Dims{5, 3, 6});
  CHECK(allclose(matmul(m, b), reference_matmul(m, b), 1e-12));
  // N-D x 2-D (folded into one product), with a batch whose dims do not merge (batch transposed).
  const Tensor w = plain({4, 6}, 13), x = plain({3, 2, 5, 4}, 14);
  CHECK(allclose(matmul(x, w), reference_matmul(x, w), 1e-12));
  const Tensor xp = x.permute({1, 0, 2, 3});
  CHECK(allclose(matmul(xp, w), reference_matmul(xp, w), 1e-12));
  // A size-1 batch on one side, and many small products (split over threads).
  const Tensor one = plain({1, 3, 4}, 15);
  CHECK(allclose(matmul(one, b), reference_matmul(one, b), 1e-12));
  const Tensor many_a = plain({300, 8, 9}, 16), many_b = plain({300, 9, 7}, 17);
  CHECK(allclose(matmul(many_a, many_b), reference_matmul(many_a, many_b), 1e-12));
  CHECK(allclose(matmul(many_a, many_b.slice(0, 0, 1)),
                 reference_matmul(many_a, many_b.slice(0, 0, 1)), 1e-12));
}

TEST_CASE("matmul with empty sizes", "[linalg]") {
  // k = 0: a sum over nothing, zeros.
  const Tensor z = matmul(zeros({2, 0}, kFloat64), zeros({0, 3}, kFloat64));
  CHECK(z.shape() == Dims{2, 3});
  CHECK(allclose(z, zeros({2, 3}, kFloat64)));
  CHECK(dot(zeros({0}, kFloat64), zeros({0}, kFloat64)).item<double>() == 0.0);
  CHECK(matmul(zeros({0, 4}, kFloat64), ones({4, 3}, kFloat64)).shape() == Dims{0, 3});
  CHECK(matmul(ones({2, 4}, kFloat64), zeros({4, 0}, kFloat64)).shape() == Dims{2, 0});
  CHECK(matmul(zeros({0, 2, 4}, kFloat64), ones({4, 3}, kFloat64)).shape() == Dims{0, 2, 3});
  CHECK(matmul(ones({1, 2, 4}, kFloat64), zeros({0, 4, 3}, kFloat64)).shape() == Dims{0, 2, 3});
  const Tensor batch_k0 = matmul(zeros({3, 2, 0}, kFloat64), zeros({3, 0, 4}, kFloat64));
  CHECK(allclose(batch_k0, zeros({3, 2, 4}, kFloat64)));
  // Gradients through an empty product have the inputs' shapes.
  const Tensor a = zeros({2, 0}, kFloat64).requires_grad_(),
               b = zeros({0, 3}, kFloat64).requires_grad_();
  const TensorList g = grad({matmul(a, b).sum()}, {a, b});
  CHECK(g[0].shape() == Dims{2, 0});
  CHECK(g[1].shape() == Dims{0, 3});
  const Tensor p = randn64({2, 3}, 18), q = zeros({3, 0}, kFloat64).requires_grad_();
  CHECK(allclose(grad({matmul(p, q).sum()}, {p})[0], zeros({2, 3}, kFloat64)));
}

TEST_CASE("matmul gradients in every rank combination", "[linalg]") {
  auto fn = [](const TensorList& in) { return TensorList{matmul(in[0], in[1])}; };
  check_grads(fn, {randn64({4}, 20), randn64({4}, 21)});                 // 1-1
  check_grads(fn, {randn64({3}, 22), randn64({3, 2}, 23)});              // 1-2
  check_grads(fn, {randn64({2, 3}, 24), randn64({3}, 25)});              // 2-1
  check_grads(fn, {randn64({2, 3}, 26), randn64({3, 4}, 27)});           // 2-2
  check_grads(fn, {randn64({2, 2, 3}, 28), randn64({3, 2}, 29)});        // 3-2 (folded)
  check_grads(fn, {randn64({2, 3}, 30), randn64({2, 3, 2}, 31)});        // 2-3
  check_grads(fn, {randn64({2, 1, 2, 3}, 32), randn64({3, 3, 2}, 33)});  // broadcast 4-3
  check_grads(fn, {randn64({3}, 34), randn64({2, 3, 2}, 35)});           // 1-3
  check_grads(fn, {randn64({2, 2, 3}, 36), randn64({3}, 37)});           // 3-1
  check_grads(fn, {randn64({1, 2, 3}, 38), randn64({3, 3, 2}, 39)});     // size-1 batch
}

TEST_CASE("matmul gradients with non-contiguous inputs", "[linalg]") {
  auto fn = [](const TensorList& in) { return TensorList{matmul(in[0], in[1])}; };
  check_grads(fn, {noncontiguous(randn64({2, 3}, 40)), noncontiguous(randn64({3, 4}, 41))});
  check_grads(fn, {noncontiguous(randn64({2, 2, 3}, 42)), noncontiguous(randn64({3, 2}, 43))});
  check_grads(fn,
              {noncontiguous(randn64({2, 1, 2, 3}, 44)), noncontiguous(randn64({3, 3, 2}, 45))});
  check_grads(fn, {noncontiguous(randn64({3}, 46)), noncontiguous(randn64({3}, 47))});
  // Transposed operands inside the function.
  check_grads(
      [](const TensorList& in) { return TensorList{matmul(t(in[0]), in[1].transpose(-1, -2))}; },
      {randn64({3, 2}, 48), randn64({2, 4, 3}, 49)});
  // Column-major operands of the same rank: their gradients are produced in that layout.
  const auto both_transposed = [](const TensorList& in) {
    return TensorList{matmul(in[0].transpose(-1, -2), in[1].transpose(-1, -2))};
  };
  check_grads(both_transposed, {randn64({3, 2}, 50), randn64({4, 3}, 51)});
  check_grads(both_transposed, {randn64({2, 3, 2}, 52), randn64({2, 4, 3}, 53)});
  const Tensor a = randn64({3, 2}, 54), b = randn64({4, 3}, 55);
  const TensorList g = grad({matmul(a.t(), b.t()).sum()}, {a, b});
  CHECK(g[0].is_contiguous());
  CHECK(g[1].is_contiguous());
  CHECK(allclose(g[0], matmul(b.t(), ones({4, 2}, kFloat64)), 1e-12));
}

TEST_CASE("dot, outer, mv and mm gradients", "[linalg]") {
  check_grads([](const TensorList& in) { return TensorList{dot(in[0], in[1])}; },
              {noncontiguous(randn64({5}, 50)), randn64({5}, 51)});
  check_grads([](const TensorList& in) { return TensorList{outer(in[0], in[1])}; },
              {randn64({3}, 52), noncontiguous(randn64({4}, 53))});
  check_grads([](const TensorList& in) { return TensorList{mv(in[0], in[1])}; },
              {noncontiguous(randn64({3, 4}, 54)), randn64({4}, 55)});
  check_grads([](const TensorList& in) { return TensorList{mm(in[0], in[1])}; },
              {randn64({3, 4}, 56), noncontiguous(randn64({4, 2}, 57))});
  // A product of the same tensor with itself (both edges reach one leaf).
  check_grads([](const TensorList& in) { return TensorList{mm(in[0], t(in[0]))}; },
              {randn64({3, 2}, 58)});
}

TEST_CASE("matmul gradient values and third order", "[linalg]") {
  // f = sum(A B): grad_A = 1 B^T, grad_B = A^T 1.
  const Tensor a = tensor({1, 2, 3, 4}, {2, 2}, kFloat64).requires_grad_();
  const Tensor b = tensor({5, 6, 7, 8}, {2, 2}, kFloat64).requires_grad_();
  const TensorList g = grad({matmul(a, b).sum()}, {a, b});
  CHECK(allclose(g[0], tensor({11, 15, 11, 15}, {2, 2}, kFloat64)));
  CHECK(allclose(g[1], tensor({4, 4, 6, 6}, {2, 2}, kFloat64)));
  // Third order through dot: f = (x.x)^2 on x = [1, 2].
  const Tensor x = tensor({1, 2}, kFloat64).requires_grad_();
  const Tensor s = dot(x, x);
  const Tensor f = s * s;
  const Tensor g1 = grad({f}, {x}, {}, {.retain_graph = std::nullopt, .create_graph = true})[0];
  const Tensor e0 = tensor({1, 0}, kFloat64);
  const Tensor g2 =
      grad({dot(g1, e0)}, {x}, {}, {.retain_graph = std::nullopt, .create_graph = true})[0];
  const Tensor g3 = grad({dot(g2, e0)}, {x})[0];
  // d/dx of d2f/dx0^2 = 4 (x.x) + 8 x0^2 is [24 x0, 8 x1].
  CHECK(g3.to_vector<double>()[0] == Approx(24.0));
  CHECK(g3.to_vector<double>()[1] == Approx(16.0));
}

TEST_CASE("matmul errors name the op and the shapes", "[linalg]") {
  const Tensor a = zeros({2, 3}), b = zeros({4, 5});
  CHECK_THROWS_WITH(
      matmul(a, b),
      "matmul: shapes [2, 3] and [4, 5] cannot be multiplied (3 != 4); the last dim of "
      "the first operand must equal the second-to-last dim of the second");
  CHECK_THROWS_WITH(mm(a, b), MG_CONTAINS("mm: shapes [2, 3] and [4, 5] cannot be multiplied"));
  CHECK_THROWS_WITH(matmul(scalar_tensor(1.0), zeros({3})),
                    "matmul: both arguments need to be at least 1D, got shapes [] and [3]");
  CHECK_THROWS_WITH(matmul(a, zeros({3, 2}, kFloat64)), MG_CONTAINS("matmul: dtype mismatch"));
  CHECK_THROWS_WITH(matmul(zeros({2, 2}, kInt64), zeros({2, 2}, kInt64)),
                    MG_CONTAINS("matmul: expected a float32 or float64 tensor, got int64"));
  CHECK_THROWS_WITH(
      matmul(zeros({2, 2, 3}), zeros({3, 3, 4})),
      MG_CONTAINS("matmul: the batch dims of shapes [2, 2, 3] and [3, 3, 4] do not broadcast"));
  CHECK_THROWS_WITH(matmul(a, zeros({4})),
                    MG_CONTAINS("matmul: shapes [2, 3] and [4] cannot be multiplied (3 != 4)"));
  CHECK_THROWS_WITH(dot(a, zeros({3})), "dot: expected two 1-D tensors, got shapes [2, 3] and [3]");
  CHECK_THROWS_WITH(dot(zeros({3}), zeros({4})),
                    "dot: the two vectors must have the same length, got shapes [3] and [4]");
  CHECK_THROWS_WITH(mv(zeros({3}), zeros({3})),
                    "mv: expected a 2-D matrix and a 1-D vector, got shapes [3] and [3]");
  CHECK_THROWS_WITH(mv(a, zeros({4})),
                    MG_CONTAINS("mv: shapes [2, 3] and [4] cannot be multiplied"));
  CHECK_THROWS_WITH(mm(zeros({3}), a), "mm: expected two 2-D tensors, got shapes [3] and [2, 3]");
  CHECK_THROWS_WITH(outer(a, zeros({3})),
                    "outer: expected two 1-D tensors, got shapes [2, 3] and [3]");
}

TEST_CASE("float32 products agree with float64", "[linalg]") {
  const Tensor a = plain({64, 256}, 60), b = plain({256, 128}, 61);
  const Tensor c64 = matmul(a, b);
  const Tensor c32 = matmul(a.to(kFloat32), b.to(kFloat32)).to(kFloat64);
  const double scale = max_abs(c64);
  CHECK(scale > 10.0);
  CHECK(max_abs(c32 - c64) <= 1e-5 * scale);
  // A transposed float32 operand takes the column-major path.
  const Tensor c32t = matmul(a.to(kFloat32), t(t(b).to(kFloat32).contiguous())).to(kFloat64);
  CHECK(max_abs(c32t - c64) <= 1e-5 * scale);
}
