// Joins and splits, the scaled-sum products, trapezoid / cumulative_trapezoid / gradient and the
// small elementwise extras against PyTorch 1.13 in float64 on wave() inputs (checksums
// sum(y * wave(y.shape, 0.3)) and of the gradients of sum(y * wave(y.shape, 0.9)) in the inputs,
// phase 1.3; vander's gradient from its closed form, as PyTorch 1.13's vander backward fails);
// split shapes, exact values, gradcheck and gradgradcheck, errors.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::check_wave_checksums;
using metagrad::testing::leaf;
using metagrad::testing::wave;

namespace {

struct Reference {
  std::string name;
  Dims shape;
  std::vector<double> checksums;
};

// Increasing positions: the running sums of |wave| + step.
Tensor positions(int64_t n, double phase, double step) {
  return cumsum(abs(wave({n}, phase)) + step, 0);
}

// The op named by a reference row on PyTorch's inputs, and the inputs it differentiated in.
std::pair<Tensor, TensorList> evaluate(const std::string& name) {
  const Tensor a = leaf(wave({2, 3}, 0.1)), b = leaf(wave({2, 3}, 0.7)), v = leaf(wave({3}, 0.4));
  const Tensor m1 = leaf(wave({2, 4}, 0.3)), m2 = leaf(wave({4, 3}, 0.5));
  const Tensor input = leaf(wave({3}, 0.6)), vec = leaf(wave({4}, 0.9));
  const Tensor input2 = leaf(wave({2}, 1.0)), input3 = leaf(wave({2, 3}, 1.2));
  const Tensor b1 = leaf(wave({5, 2, 4}, 0.2)), b2 = leaf(wave({5, 4, 3}, 0.8));
  const Tensor t2 = leaf(abs(wave({2, 3}, 1.4)) + 0.5);
  const Tensor y = leaf(wave({3, 6}, 0.3)), x = leaf(positions(6, 0.8, 0.2));
  const Tensor f = leaf(wave({5, 6}, 0.3));
  const Tensor c0 = leaf(positions(5, 0.8, 0.2)), c1 = leaf(positions(6, 1.8, 0.3));
  const Tensor xv = leaf(tensor({0.5, -1.2, 0.0, 2.0}, kFloat64));
  const Tensor r = leaf(wave({3, 4, 2}, 0.5));
  const std::map<std::string, std::function<std::pair<Tensor, TensorList>()>> ops{
      {"hstack",
       [&] {
         return std::pair{hstack({a, b}), TensorList{a, b}};
       }},
      {"hstack 1-D",
       [&] {
         return std::pair{hstack({v, v}), TensorList{v}};
       }},
      {"vstack",
       [&] {
         return std::pair{vstack({a, v}), TensorList{a, v}};
       }},
      {"dstack",
       [&] {
         return std::pair{dstack({a, b}), TensorList{a, b}};
       }},
      {"column_stack",
       [&] {
         return std::pair{column_stack({v, transpose(a, 0, 1)}), TensorList{v, a}};
       }},
      {"addmm",
       [&] {
         return std::pair{addmm(input, m1, m2, 0.5, 2.0), TensorList{input, m1, m2}};
       }},
      {"addmv",
       [&] {
         return std::pair{addmv(input2, m1, vec, 1.5, -0.5), TensorList{input2, m1, vec}};
       }},
      {"addbmm",
       [&] {
         return std::pair{addbmm(input3, b1, b2, 0.3, 1.7), TensorList{input3, b1, b2}};
       }},
      {"baddbmm",
       [&] {
         return std::pair{baddbmm(input3, b1, b2, 0.3, 1.7), TensorList{input3, b1, b2}};
       }},
      {"addr",
       [&] {
         return std::pair{addr(input3, input2, v, 2.0, 0.5), TensorList{input3, input2, v}};
       }},
      {"addcmul",
       [&] {
         return std::pair{addcmul(a, b, t2, 0.7), TensorList{a, b, t2}};
       }},
      {"addcdiv",
       [&] {
         return std::pair{addcdiv(a, b, t2, -1.3), TensorList{a, b, t2}};
       }},
      {"inner",
       [&] {
         return std::pair{inner(a, wave({4, 3}, 0.5)), TensorList{a}};
       }},
      {"trapezoid dx",
       [&] {
         return std::pair{trapezoid(y, 0.7), TensorList{y}};
       }},
      {"trapezoid x",
       [&] {
         return std::pair{trapezoid(y, x), TensorList{y, x}};
       }},
      {"trapezoid x dim0",
       [&] {
         return std::pair{trapezoid(y, positions(3, 0.8, 0.2), 0), TensorList{y}};
       }},
      {"cumulative_trapezoid dx",
       [&] {
         return std::pair{cumulative_trapezoid(y, 0.7), TensorList{y}};
       }},
      {"cumulative_trapezoid x",
       [&] {
         return std::pair{cumulative_trapezoid(y, x), TensorList{y, x}};
       }},
      {"gradient 0",
       [&] {
         return std::pair{gradient(f)[0], TensorList{f}};
       }},
      {"gradient 1",
       [&] {
         return std::pair{gradient(f)[1], TensorList{f}};
       }},
      {"gradient spacing edge2",
       [&] {
         return std::pair{gradient(f, std::vector<double>{0.5, 2.0}, {}, 2)[1], TensorList{f}};
       }},
      {"gradient coords 0",
       [&] {
         return std::pair{gradient(f, TensorList{c0, c1})[0], TensorList{f, c0}};
       }},
      {"gradient coords edge2 1",
       [&] {
         return std::pair{gradient(f, TensorList{c0, c1}, {}, 2)[1], TensorList{f, c1}};
       }},
      {"gradient coords dim1",
       [&] {
         return std::pair{gradient(f, TensorList{c1}, {1}, 2)[0], TensorList{f, c1}};
       }},
      {"copysign",
       [&] {
         return std::pair{copysign(a, b), TensorList{a}};
       }},
      {"rad2deg",
       [&] {
         return std::pair{rad2deg(a), TensorList{a}};
       }},
      {"vander",
       [&] {
         return std::pair{vander(xv), TensorList{xv}};
       }},
      {"vander increasing 3",
       [&] {
         return std::pair{vander(xv, 3, true), TensorList{xv}};
       }},
      {"renorm",
       [&] {
         return std::pair{renorm(r, 2.0, 1, 1.1), TensorList{r}};
       }},
      {"renorm p1 dim0",
       [&] {
         return std::pair{renorm(r, 1.0, 0, 2.5), TensorList{r}};
       }},
  };
  return ops.at(name)();
}

std::vector<int64_t> sizes_along(const TensorList& parts, int64_t dim) {
  std::vector<int64_t> out;
  for (const Tensor& t : parts) out.push_back(t.size(dim));
  return out;
}

}  // namespace

TEST_CASE("joins, scaled sums, calculus and extras match PyTorch", "[ops][joining]") {
  const std::vector<Reference> references{
      {"hstack", {2, 6}, {5.307434892009986, 5.6118636839235325, 2.1689506138020715}},
      {"hstack 1-D", {6}, {7.102725463900434, 10.111913210565124}},
      {"vstack", {3, 3}, {8.830805639107576, 7.74122793312919, -2.0384413564129953}},
      {"dstack", {2, 3, 2}, {5.174044967100396, 4.844059823198899, 3.6630201158433704}},
      {"column_stack", {3, 3}, {8.000434155317057, 3.7680282340120885, 4.746329781438876}},
      {"addmm",
       {2, 3},
       {26.158224665939187, 5.055956605282562, 28.612411914057848, -8.832710012751292}},
      {"addmv",
       {2},
       {-0.8782819316296879, 5.755002798636788, -3.0765036535857058, -7.0482346942065}},
      {"addbmm",
       {2, 3},
       {11.195411594445478, 2.322368379938757, 18.747999568914132, -5.662816088628582}},
      {"baddbmm",
       {5, 2, 3},
       {17.854120118191666, 0.6124419066985498, 2.3172492565156224, 14.431731707564017}},
      {"addr",
       {2, 3},
       {18.149862128027365, 15.48245586625838, 5.031847592021585, 6.825339078416639}},
      {"addcmul",
       {2, 3},
       {16.532274216054923, 7.74122793312919, 9.4300378925568, 7.059113450711432}},
      {"addcdiv",
       {2, 3},
       {-1.06451970291814, 7.74122793312919, -6.069176619702774, 5.170599885777712}},
      {"inner", {2, 4}, {11.093486286752846, 10.381719087138636}},
      {"trapezoid dx", {3}, {-2.7377284272618896, 0.4849325345987704}},
      {"trapezoid x", {3}, {-5.933352272735014, 0.7485455637832474, 0.17056340359223085}},
      {"trapezoid x dim0", {6}, {-2.9482794998102744, -5.5630286418673}},
      {"cumulative_trapezoid dx", {3, 5}, {31.431514501859372, 26.46480536851117}},
      {"cumulative_trapezoid x",
       {3, 5},
       {69.49312916833827, 59.21347888352815, -8.500809580362898}},
      {"gradient 0", {5, 6}, {-1.5648519562653047, -9.879943992725398}},
      {"gradient 1", {5, 6}, {1.229507432855434, -5.2156091272909455}},
      {"gradient spacing edge2", {5, 6}, {0.5253353253553635, -2.6277402059200536}},
      {"gradient coords 0", {5, 6}, {-1.4524582544472575, -5.915069390883819, 2.235287384718483}},
      {"gradient coords edge2 1",
       {5, 6},
       {0.7051787854709128, -6.978857341403348, 2.779824510516056}},
      {"gradient coords dim1", {5, 6}, {0.7051787854709128, -6.978857341403348, 2.779824510516056}},
      {"copysign", {2, 3}, {8.172155906772211, 7.74122793312919}},
      {"rad2deg", {2, 3}, {468.23004298095395, 443.5396888170841}},
      {"vander", {4, 4}, {-20.715478213557464, -9.979052991728791}},
      {"vander increasing 3", {4, 3}, {-4.992454232143227, -4.265196223906056}},
      {"renorm", {3, 4, 2}, {11.069646686459954, 1.2257828272938578}},
      {"renorm p1 dim0", {3, 4, 2}, {8.743766908348164, 2.435584217565888}},
  };
  for (const Reference& r : references) {
    INFO(r.name);
    const auto [y, inputs] = evaluate(r.name);
    check_wave_checksums(y, inputs, r.shape, r.checksums);
  }
}

TEST_CASE("splits, diag, logspace, heaviside and aminmax: exact values", "[ops][joining]") {
  const Tensor ten = arange(10.0, kFloat64);
  CHECK(sizes_along(tensor_split(ten, 3), 0) == std::vector<int64_t>{4, 3, 3});
  CHECK(sizes_along(tensor_split(ten, std::vector<int64_t>{2, 7, 5, 20}), 0) ==
        std::vector<int64_t>{2, 5, 0, 5, 0});
  CHECK(tensor_split(ten, std::vector<int64_t>{2, 7, 5, 20})[3].to_vector<double>()[0] == 5.0);
  CHECK(sizes_along(tensor_split(ten, std::vector<int64_t>{-3}), 0) == std::vector<int64_t>{7, 3});
  const Tensor grid = reshape(arange(24.0, kFloat64), {2, 3, 4});
  CHECK(sizes_along(hsplit(grid, 3), 1) == std::vector<int64_t>{1, 1, 1});
  CHECK(sizes_along(vsplit(grid, std::vector<int64_t>{1}), 0) == std::vector<int64_t>{1, 1});
  CHECK(sizes_along(dsplit(grid, 2), 2) == std::vector<int64_t>{2, 2});
  CHECK(sizes_along(hsplit(ten, 5), 0) == std::vector<int64_t>{2, 2, 2, 2, 2});
  const TensorList rows = unbind(grid, 1);
  REQUIRE(rows.size() == 3);
  CHECK(allclose(rows[2], select(grid, 1, 2), 0, 0));
  CHECK(swapaxes(grid, 0, 2).shape() == Dims{4, 3, 2});
  CHECK(moveaxis(grid, 0, -1).shape() == Dims{3, 4, 2});
  CHECK(allclose(fliplr(reshape(ten, {2, 5})), flip(reshape(ten, {2, 5}), {1}), 0, 0));
  CHECK(allclose(flipud(ten), flip(ten, {0}), 0, 0));
  CHECK(atleast_3d(ten).shape() == Dims{1, 10, 1});
  CHECK(atleast_2d(full({}, 1.0, kFloat64)).shape() == Dims{1, 1});
  // diag and diagflat against PyTorch's values.
  const Tensor v = wave({3}, 0.1);
  const Tensor d = diag(v, 1);
  REQUIRE(d.shape() == Dims{4, 4});
  CHECK(d.to_vector<double>()[1] == v.to_vector<double>()[0]);
  CHECK(allclose(diag(d, 1), v, 0, 0));
  CHECK(diagflat(wave({2, 2}, 0.1), -1).shape() == Dims{5, 5});
  CHECK(allclose(
      logspace(-1, 2, 5, 3.0, kFloat64),
      tensor({0.3333333333333333, 0.7598356856515925, 1.7320508075688772, 3.9482220388574776, 9.0},
             kFloat64),
      1e-15, 0));
  CHECK(heaviside(tensor({-1.0, 0.0, 2.0, std::nan("")}, kFloat64), tensor({0.5}, kFloat64))
            .to_vector<double>() == std::vector<double>{0.0, 0.5, 1.0, 0.0});
  const MinMax extremes = aminmax(reshape(ten, {2, 5}), 1);
  CHECK(extremes.min.to_vector<double>() == std::vector<double>{0.0, 5.0});
  CHECK(extremes.max.to_vector<double>() == std::vector<double>{4.0, 9.0});
  CHECK(aminmax(ten).max.item<double>() == 9.0);
  // copysign reads the sign of -0.0; addmm with beta 0 ignores a NaN input.
  CHECK(copysign(tensor({2.0}, kFloat64), tensor({-0.0}, kFloat64)).item<double>() == -2.0);
  const Tensor nan_input = full({2, 2}, std::nan(""), kFloat64);
  CHECK(allclose(addmm(nan_input, eye(2, -1, kFloat64), eye(2, -1, kFloat64), 0.0),
                 eye(2, -1, kFloat64), 0, 0));
  // The integral of a sampled line is exact, and the gradient of a quadratic is exact inside.
  const Tensor xs = linspace(0.0, 2.0, 9, kFloat64);
  CHECK(trapezoid(3.0 * xs + 1.0, xs).item<double>() == Approx(8.0).epsilon(1e-14));
  CHECK(allclose(gradient(square(xs), TensorList{xs}, {}, 2)[0], 2.0 * xs, 1e-12, 1e-12));
  CHECK(trapezoid(tensor({2.0}, kFloat64)).item<double>() == 0.0);
  CHECK(cumulative_trapezoid(tensor({2.0}, kFloat64)).numel() == 0);
}

TEST_CASE("joins, scaled sums, calculus and extras: gradcheck and gradgradcheck",
          "[ops][joining][gradcheck]") {
  check_grads(
      [](const TensorList& in) -> TensorList {
        const Tensor m = reshape(in[0], {2, 3});
        return {column_stack({in[1], m}),
                addmm(in[1], m, transpose(m, 0, 1), 0.5, 2.0),
                addcdiv(m, m, exp(m), 0.3),
                trapezoid(m, in[1] + 0.0, 0),
                cumulative_trapezoid(m, 0.3, 1),
                gradient(m, TensorList{cumsum(exp(in[2]), 0)}, {1}, 2)[0],
                vander(in[2], 4),
                renorm(m, 1.5, 0, 0.8)};
      },
      {leaf(wave({6}, 0.2)), leaf(tensor({0.4, 1.3}, kFloat64)), leaf(wave({3}, 1.1))});
}
