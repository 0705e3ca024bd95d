#include "examples/common/omniglot_nshot.hpp"

#include <numeric>
#include <utility>
#include <vector>

#include "engine/error.hpp"
#include "engine/ops.hpp"
#include "examples/common/sampling.hpp"

namespace metagrad::examples {

namespace {

// `count` distinct values of [0, n) in random order (numpy's choice(n, count, replace=False)).
std::vector<int64_t> choose(std::mt19937_64& rng, int64_t n, int64_t count) {
  std::vector<int64_t> pool(static_cast<size_t>(n));
  std::iota(pool.begin(), pool.end(), int64_t{0});
  for (int64_t i = 0; i < count; ++i) std::swap(pool[i], pool[i + uniform_index(rng, n - i)]);
  pool.resize(static_cast<size_t>(count));
  return pool;
}

GlyphSplit load_split(const std::string& root, int64_t imgsz, GlyphSource source) {
  MG_CHECK(imgsz >= 1 && imgsz <= 4096, "OmniglotNShot: imgsz must be in [1, 4096], got {}", imgsz);
  if (source == GlyphSource::omniglot) return load_omniglot_npy(root, static_cast<int>(imgsz));
  HersheySplitOptions options;
  options.render.size = static_cast<int>(imgsz);
  return make_hershey_split(load_hershey_dir(root), options);
}

}  // namespace

OmniglotNShot::OmniglotNShot(const std::string& root, int64_t batchsz, int64_t n_way,
                             int64_t k_shot, int64_t k_query, int64_t imgsz, std::mt19937_64 rng,
                             Device device, GlyphSource source)
    : OmniglotNShot(load_split(root, imgsz, source), batchsz, n_way, k_shot, k_query, imgsz,
                    std::move(rng), device) {}

OmniglotNShot::OmniglotNShot(GlyphSplit data, int64_t batchsz, int64_t n_way, int64_t k_shot,
                             int64_t k_query, int64_t imgsz, std::mt19937_64 rng, Device device)
    : data_(std::move(data)),
      batchsz_(batchsz),
      n_way_(n_way),
      k_shot_(k_shot),
      k_query_(k_query),
      imgsz_(imgsz),
      rng_(std::move(rng)),
      device_(device) {
  check();
}

void OmniglotNShot::check() const {
  MG_CHECK(batchsz_ >= 1 && n_way_ >= 1 && k_shot_ >= 1 && k_query_ >= 1,
           "OmniglotNShot: batchsz, n_way, k_shot and k_query must be at least 1, got {}, {}, {}, "
           "{}",
           batchsz_, n_way_, k_shot_, k_query_);
  for (const auto& [name, bank] : {std::pair{"train", &data_.train}, {"test", &data_.test}}) {
    MG_CHECK(bank->size == imgsz_, "OmniglotNShot: the {} images are {}x{}, but imgsz is {}", name,
             bank->size, bank->size, imgsz_);
    MG_CHECK(k_shot_ + k_query_ <= bank->drawers,
             "OmniglotNShot: k_shot + k_query = {} + {} exceeds the {} drawings per class of the "
             "{} set",
             k_shot_, k_query_, bank->drawers, name);
    MG_CHECK(n_way_ <= bank->num_classes(),
             "OmniglotNShot: n_way = {} exceeds the {} classes of the {} set", n_way_,
             bank->num_classes(), name);
  }
}

NShotBatch OmniglotNShot::next(std::string_view mode) {
  MG_CHECK(mode == "train" || mode == "test",
           "OmniglotNShot::next: mode must be \"train\" or \"test\", got \"{}\"", mode);
  const GlyphBank& bank = mode == "train" ? data_.train : data_.test;
  const int64_t area = imgsz_ * imgsz_;
  const int64_t setsz = n_way_ * k_shot_, querysz = n_way_ * k_query_;
  Tensor x_spt = empty({batchsz_, setsz, 1, imgsz_, imgsz_}, kFloat32);
  Tensor x_qry = empty({batchsz_, querysz, 1, imgsz_, imgsz_}, kFloat32);
  Tensor y_spt = empty({batchsz_, setsz}, kInt64);
  Tensor y_qry = empty({batchsz_, querysz}, kInt64);
  float* xs = x_spt.data_ptr<float>();
  float* xq = x_qry.data_ptr<float>();
  int64_t* ys = y_spt.data_ptr<int64_t>();
  int64_t* yq = y_qry.data_ptr<int64_t>();
  for (int64_t task = 0; task < batchsz_; ++task) {
    // (class label j, class, drawer) of each support and query image, before shuffling.
    std::vector<std::pair<int64_t, std::pair<int64_t, int64_t>>> support, query;
    const std::vector<int64_t> classes = choose(rng_, bank.num_classes(), n_way_);
    for (int64_t j = 0; j < n_way_; ++j) {
      const std::vector<int64_t> drawers = choose(rng_, bank.drawers, k_shot_ + k_query_);
      for (int64_t k = 0; k < k_shot_ + k_query_; ++k)
        (k < k_shot_ ? support : query).push_back({j, {classes[j], drawers[k]}});
    }
    auto emit = [&](auto& items, float* x, int64_t* y, int64_t count) {
      const std::vector<int64_t> perm = choose(rng_, count, count);
      for (int64_t i = 0; i < count; ++i) {
        const auto& [label, where] = items[perm[i]];
        bank.copy_image(where.first, where.second, x + (task * count + i) * area);
        y[task * count + i] = label;
      }
    };
    emit(support, xs, ys, setsz);
    emit(query, xq, yq, querysz);
  }
  if (device_ != kCPU) {
    x_spt = x_spt.to(device_), y_spt = y_spt.to(device_);
    x_qry = x_qry.to(device_), y_qry = y_qry.to(device_);
  }
  return {x_spt, y_spt, x_qry, y_qry};
}

}  // namespace metagrad::examples
