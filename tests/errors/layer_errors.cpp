// Error-input table of the 1-D pooling and unpooling ops and layers, channel dropout, bilinear and
// the two-input layers, Unflatten, ModuleDict and the loss modules of engine/nn/losses.hpp beyond
// the first nine, the distributions of univariate.hpp and multivariate_normal.hpp,
// embedding_bag and the packed sequences.
#include <memory>

#include "tests/errors/error_table.hpp"

namespace metagrad::testing {

ErrorTable layer_error_cases() {
  return {
      {"max_pool1d",
       "4-D input",
       [] {
         (void)max_pool1d(f32({1, 2, 3, 4}), 2);
       },
       {"max_pool1d: expected a 2-D (unbatched [C, L]) or 3-D (batched [N, C, L]) input",
        "[1, 2, 3, 4]"}},
      {"max_pool1d_with_indices",
       "padding above half the kernel",
       [] {
         (void)max_pool1d_with_indices(f32({1, 2, 6}), 2, 2, 2);
       },
       {"max_pool1d: padding should be at most half of the kernel size, got padding 2 for "
        "kernel_size 2"}},
      {"avg_pool1d",
       "kernel longer than the padded input",
       [] {
         (void)avg_pool1d(f32({1, 2, 3}), 5);
       },
       {"avg_pool1d: the padded length 3 of input shape [1, 2, 3]", "extent 5"}},
      {"max_unpool1d",
       "indices of another shape",
       [] {
         (void)max_unpool1d(f32({1, 2, 3}), zeros({1, 2, 4}, kInt64), 2);
       },
       {"max_unpool1d: expected int64 indices of the input's shape [1, 2, 3]", "[1, 2, 4]"}},
      {"max_unpool2d",
       "index outside the output plane",
       [] {
         (void)max_unpool2d(f32({1, 1, 2, 2}), full({1, 1, 2, 2}, 16, kInt64), 2);
       },
       {"max_unpool2d: index 16 at position 0", "4 x 4 = 16 elements"}},
      {"MaxPool1d",
       "zero stride",
       [] { nn::MaxPool1d pool(2, 0); },
       {"MaxPool1d: kernel_size (2), stride (0) and dilation (1) must be positive"}},
      {"AvgPool1d",
       "negative padding",
       [] { nn::AvgPool1d pool(2, 1, -1); },
       {"AvgPool1d", "padding (-1) non-negative"}},
      {"AdaptiveAvgPool1d",
       "zero output size",
       [] { nn::AdaptiveAvgPool1d pool(0); },
       {"AdaptiveAvgPool1d: output_size must be positive, got 0"}},
      {"AdaptiveMaxPool1d",
       "negative output size",
       [] { nn::AdaptiveMaxPool1d pool(-2); },
       {"AdaptiveMaxPool1d: output_size must be positive, got -2"}},
      {"MaxUnpool1d",
       "called without the indices",
       [] {
         (void)nn::MaxUnpool1d(2)(f32({1, 2, 3}));
       },
       {"MaxUnpool1d: unpooling needs max_pool1d's indices", "unpool(input, indices)"}},
      {"MaxUnpool2d",
       "zero kernel",
       [] {
         nn::MaxUnpool2d unpool(IntPair{0, 2});
       },
       {"MaxUnpool2d: kernel_size (0, 2) and stride (0, 2) must be positive"}},
      {"dropout1d",
       "4-D input",
       [] {
         (void)dropout1d(f32({1, 2, 3, 4}));
       },
       {"dropout1d: expected a 2-D or 3-D input ([N, C, L] or unbatched [C, L]), got shape "
        "[1, 2, 3, 4]"}},
      {"dropout2d",
       "probability above 1",
       [] {
         (void)dropout2d(f32({1, 2, 3, 4}), 1.5);
       },
       {"dropout2d: probability has to be between 0 and 1, but got 1.5"}},
      {"dropout3d",
       "2-D input",
       [] {
         (void)dropout3d(f32({2, 3}));
       },
       {"dropout3d: expected a 4-D or 5-D input", "[2, 3]"}},
      {"Dropout1d",
       "negative probability",
       [] { nn::Dropout1d layer(-0.1); },
       {"Dropout1d: dropout probability has to be between 0 and 1, but got -0.1"}},
      {"Dropout2d",
       "probability above 1",
       [] { nn::Dropout2d layer(2.0); },
       {"Dropout2d: dropout probability has to be between 0 and 1, but got 2"}},
      {"Dropout3d",
       "1-D input in training",
       [] { (void)nn::Dropout3d(0.5)(f32({4})); },
       {"dropout3d: expected a 4-D or 5-D input", "[4]"}},
      {"unflatten",
       "sizes that do not multiply to the dim",
       [] {
         (void)unflatten(f32({2, 6}), 1, {4, 2});
       },
       {"unflatten: sizes [4, 2] multiply to 8, but dim 1 of input shape [2, 6] has size 6"}},
      {"Unflatten",
       "two inferred sizes",
       [] {
         nn::Unflatten layer(1, {-1, -1});
       },
       {"Unflatten: unflattened_size [-1, -1] must hold at least one size"}},
      {"bilinear",
       "inputs with different leading dims",
       [] {
         (void)bilinear(f32({2, 3}), f32({4, 5}), f32({6, 3, 5}));
       },
       {"bilinear: input1 shape [2, 3] and input2 shape [4, 5] must be [*, 3] and [*, 5] with "
        "the same leading dims"}},
      {"Bilinear",
       "negative size",
       [] { nn::Bilinear layer(2, -3, 4); },
       {"Bilinear: in1_features, in2_features and out_features must be non-negative, got 2, -3 "
        "and 4"}},
      {"TwoInputModule",
       "called with one input",
       [] {
         nn::Bilinear layer(2, 3, 4);
         nn::TwoInputModule& module = layer;
         (void)module.forward(f32({1, 2}));
       },
       {"Bilinear: the layer takes two inputs", "layer(input1, input2)"}},
      {"CosineSimilarity",
       "inputs that do not broadcast",
       [] {
         (void)nn::CosineSimilarity()(f32({2, 3}), f32({4, 3}));
       },
       {"[2, 3]", "[4, 3]"}},
      {"PairwiseDistance",
       "inputs that do not broadcast",
       [] {
         (void)nn::PairwiseDistance()(f32({2, 3}), f32({4, 3}));
       },
       {"[2, 3]", "[4, 3]"}},
      {"ModuleDict",
       "missing key",
       [] {
         nn::ModuleDict heads({{"digits", std::make_shared<nn::Linear>(2, 3)}});
         (void)heads["letters"];
       },
       {"ModuleDict: no module under key \"letters\"; the keys are [digits]"}},
      {"SoftMarginLoss",
       "target of another shape",
       [] {
         (void)nn::SoftMarginLoss()(f32({2, 3}), f32({3}));
       },
       {"soft_margin_loss", "[3]", "[2, 3]"}},
      {"HingeEmbeddingLoss",
       "target of another shape",
       [] {
         (void)nn::HingeEmbeddingLoss()(f32({2, 3}), f32({3}));
       },
       {"hinge_embedding_loss", "[3]", "[2, 3]"}},
      {"MultiLabelSoftMarginLoss",
       "target of another shape",
       [] {
         (void)nn::MultiLabelSoftMarginLoss()(f32({2, 3}), f32({2, 4}));
       },
       {"multilabel_soft_margin_loss", "[2, 4]", "[2, 3]"}},
      {"MultiMarginLoss",
       "class index out of range",
       [] {
         (void)nn::MultiMarginLoss()(f32({2, 3}), i64({0, 3}));
       },
       {"multi_margin_loss", "3"}},
      {"PoissonNLLLoss",
       "target of another shape",
       [] {
         (void)nn::PoissonNLLLoss()(f32({2, 3}), f32({3, 2}));
       },
       {"poisson_nll_loss", "[3, 2]", "[2, 3]"}},
      {"ThreeInputLoss",
       "called with one input",
       [] {
         nn::TripletMarginLoss triplet;
         nn::ThreeInputLoss& loss = triplet;
         (void)loss.forward(f32({2, 3}));
       },
       {"TripletMarginLoss: the loss takes three tensors", "loss(a, b, c)"}},
      {"MarginRankingLoss",
       "inputs of different shapes",
       [] { (void)nn::MarginRankingLoss()(f32({3}), f32({4}), f32({3})); },
       {"margin_ranking_loss", "[3]", "[4]"}},
      {"CosineEmbeddingLoss",
       "target of another length",
       [] {
         (void)nn::CosineEmbeddingLoss()(f32({2, 3}), f32({2, 3}), f32({3}));
       },
       {"cosine_embedding_loss", "[3]"}},
      {"TripletMarginLoss",
       "positive of another feature size",
       [] {
         (void)nn::TripletMarginLoss()(f32({2, 3}), f32({2, 4}), f32({2, 3}));
       },
       {"[2, 3]", "[2, 4]"}},
      {"GaussianNLLLoss",
       "negative variance",
       [] {
         (void)nn::GaussianNLLLoss()(f32({2, 3}), f32({2, 3}), full({2, 3}, -1.0));
       },
       {"gaussian_nll_loss", "var"}},
      {"alpha_dropout",
       "probability above 1",
       [] { (void)alpha_dropout(f32({4}), 1.5, true); },
       {"alpha_dropout: probability has to be between 0 and 1, but got 1.5"}},
      {"feature_alpha_dropout",
       "1-D input",
       [] { (void)feature_alpha_dropout(f32({4}), 0.5, true); },
       {"feature_alpha_dropout: expected an input [N, C, *] of at least 2 dims, got shape [4]"}},
      {"AlphaDropout",
       "negative probability",
       [] { nn::AlphaDropout layer(-0.5); },
       {"AlphaDropout: dropout probability has to be between 0 and 1, but got -0.5"}},
      {"FeatureAlphaDropout",
       "probability above 1",
       [] { nn::FeatureAlphaDropout layer(3.0); },
       {"FeatureAlphaDropout: dropout probability has to be between 0 and 1, but got 3"}},
      {"rrelu",
       "lower above upper",
       [] { (void)rrelu(f32({4}), 0.5, 0.2); },
       {"rrelu: lower bound (0.5) must not exceed upper bound (0.2)"}},
      {"RReLU",
       "lower above upper",
       [] { nn::RReLU layer(0.5, 0.2); },
       {"RReLU: lower bound (0.5) must not exceed upper bound (0.2)"}},
      {"Softmax2d",
       "2-D input",
       [] {
         (void)nn::Softmax2d()(f32({2, 3}));
       },
       {"Softmax2d: expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got shape [2, 3]"}},
      {"local_response_norm",
       "2-D input",
       [] {
         (void)local_response_norm(f32({2, 3}), 2);
       },
       {"local_response_norm: expected an input [N, C, *] of at least 3 dims, got shape [2, 3]"}},
      {"LocalResponseNorm",
       "zero size",
       [] { nn::LocalResponseNorm layer(0); },
       {"LocalResponseNorm: size must be positive, got 0"}},
      {"channel_shuffle",
       "groups that do not divide the channels",
       [] {
         (void)channel_shuffle(f32({1, 6, 2}), 4);
       },
       {"channel_shuffle: groups (4) must be positive and divide the 6 channels of input shape "
        "[1, 6, 2]"}},
      {"ChannelShuffle",
       "zero groups",
       [] { nn::ChannelShuffle layer(0); },
       {"ChannelShuffle: groups must be positive, got 0"}},
      {"lp_pool2d",
       "zero norm type",
       [] {
         (void)lp_pool2d(f32({1, 1, 4, 4}), 0.0, 2);
       },
       {"lp_pool2d: norm_type must be non-zero"}},
      {"lp_pool1d",
       "kernel longer than the input",
       [] {
         (void)lp_pool1d(f32({1, 2, 3}), 2.0, 5);
       },
       {"avg_pool1d: the padded length 3 of input shape [1, 2, 3]"}},
      {"LPPool1d",
       "zero stride",
       [] { nn::LPPool1d layer(2.0, 3, 0); },
       {"LPPool1d: kernel_size (3), stride (0)"}},
      {"LPPool2d",
       "zero kernel",
       [] {
         nn::LPPool2d layer(2.0, IntPair{0, 2});
       },
       {"LPPool2d: kernel_size (0, 2) and stride (0, 2) must be positive"}},
      {"Unfold",
       "2-D input",
       [] {
         (void)nn::Unfold(2)(f32({3, 4}));
       },
       {"unfold: expected a 3-D (unbatched [C, H, W]) or 4-D (batched [N, C, H, W]) input"}},
      {"Fold",
       "wrong number of blocks",
       [] {
         (void)nn::Fold({4, 4}, 2)(f32({1, 4, 5}));
       },
       {"fold: input shape [1, 4, 5] has 5 blocks in its last dim"}},
      {"multilabel_margin_loss",
       "target beyond the classes",
       [] {
         (void)multilabel_margin_loss(f32({2, 3}), tensor({0, 3, -1, 1, -1, 0}, {2, 3}, kInt64));
       },
       {"multilabel_margin_loss: target 3 at position 1 of sample 0 must lie in [-1, 3)"}},
      {"MultiLabelMarginLoss",
       "float target",
       [] {
         (void)nn::MultiLabelMarginLoss()(f32({2, 3}), f32({2, 3}));
       },
       {"multilabel_margin_loss: expected input [C] or [N, C] and an int64 target of the same "
        "shape"}},
      {"triplet_margin_with_distance_loss",
       "zero margin",
       [] {
         (void)triplet_margin_with_distance_loss(f32({2, 3}), f32({2, 3}), f32({2, 3}),
                                                 {.margin = 0.0});
       },
       {"triplet_margin_with_distance_loss: margin must be greater than 0, got 0"}},
      {"TripletMarginWithDistanceLoss",
       "negative margin",
       [] { nn::TripletMarginWithDistanceLoss loss({.margin = -1.0}); },
       {"TripletMarginWithDistanceLoss: margin must be greater than 0, got -1"}},
      {"ctc_loss",
       "input length beyond the frames",
       [] {
         (void)ctc_loss(f32({4, 1, 3}), tensor({1, 2}, {1, 2}, kInt64), tensor({5}, kInt64),
                        tensor({2}, kInt64));
       },
       {"ctc_loss: input_lengths[0] = 5 must lie in [0, 4]"}},
      {"CTCLoss",
       "float targets",
       [] {
         (void)nn::CTCLoss()(f32({4, 1, 3}), f32({1, 2}), tensor({4}, kInt64), tensor({2}, kInt64));
       },
       {"ctc_loss: targets must be int64 class indices, got float32"}},
      {"LogNormal",
       "negative scale",
       [] { (void)distributions::LogNormal(tensor({0.0}, kFloat64), tensor({-1.0}, kFloat64)); },
       {"LogNormal: scale must be positive everywhere"}},
      {"HalfNormal",
       "zero scale",
       [] {
         (void)distributions::HalfNormal(tensor({0.0, 1.0}, kFloat64));
       },
       {"HalfNormal: scale must be positive everywhere"}},
      {"Cauchy",
       "shapes that do not broadcast",
       [] { (void)distributions::Cauchy(f32({2}), f32({3})); },
       {"Cauchy: shapes [2] and [3]"}},
      {"Gumbel",
       "negative scale",
       [] { (void)distributions::Gumbel(tensor({0.0}, kFloat64), tensor({-2.0}, kFloat64)); },
       {"Gumbel: scale must be positive everywhere"}},
      {"StudentT",
       "zero degrees of freedom",
       [] { (void)distributions::StudentT(tensor({0.0}, kFloat64)); },
       {"StudentT: df must be positive everywhere"}},
      {"Chi2",
       "negative degrees of freedom",
       [] {
         (void)distributions::Chi2(tensor({2.0, -1.0}, kFloat64));
       },
       {"Chi2: df must be positive everywhere"}},
      {"Weibull",
       "a non-positive concentration",
       [] { (void)distributions::Weibull(tensor({1.0}, kFloat64), tensor({0.0}, kFloat64)); },
       {"Weibull: concentration must be positive everywhere"}},
      {"Pareto",
       "parameters of different dtypes",
       [] { (void)distributions::Pareto(tensor({1.0}, kFloat64), tensor({1.0}, kFloat32)); },
       {"Pareto"}},
      {"Kumaraswamy",
       "a negative concentration1",
       [] { (void)distributions::Kumaraswamy(tensor({-1.0}, kFloat64), tensor({1.0}, kFloat64)); },
       {"Kumaraswamy: concentration1 must be positive everywhere"}},
      {"HalfCauchy",
       "a zero scale",
       [] {
         (void)distributions::HalfCauchy(tensor({0.0, 1.0}, kFloat64));
       },
       {"HalfCauchy: scale must be positive everywhere"}},
      {"Independent",
       "more reinterpreted dims than batch dims",
       [] {
         (void)distributions::Independent(distributions::Exponential(tensor({1.0}, kFloat64)), 2);
       },
       {"Independent: reinterpreted_batch_ndims must be in [0, 1] (the base's batch shape is [1]), "
        "got 2"}},
      {"MixtureSameFamily",
       "a component of another number of components",
       [] {
         (void)distributions::MixtureSameFamily(
             distributions::Categorical::from_logits(zeros({3}, kFloat64)),
             distributions::Exponential(ones({2}, kFloat64)));
       },
       {"MixtureSameFamily: the component's last batch dim must hold the mixture's 3 components, "
        "but its batch shape is [2]"}},
      {"OneHotCategorical",
       "a value over another number of categories",
       [] {
         (void)distributions::OneHotCategorical::from_logits(zeros({2, 3}, kFloat64))
             .log_prob(zeros({2, 4}, kFloat64));
       },
       {"OneHotCategorical.log_prob: value shape [2, 4] must end in the 3 categories"}},
      {"RelaxedOneHotCategorical",
       "a zero temperature",
       [] {
         (void)distributions::RelaxedOneHotCategorical::from_logits(zeros({}, kFloat64),
                                                                    zeros({2, 3}, kFloat64));
       },
       {"RelaxedOneHotCategorical: temperature must be positive everywhere"}},
      {"RelaxedBernoulli",
       "a float32 temperature for float64 logits",
       [] {
         (void)distributions::RelaxedBernoulli::from_logits(ones({}, kFloat32),
                                                            zeros({3}, kFloat64));
       },
       {"RelaxedBernoulli", "float32", "float64"}},
      {"Geometric",
       "probability 0",
       [] { (void)distributions::Geometric::from_probs(tensor({0.0}, kFloat64)); },
       {"Geometric: probs must be in (0, 1]"}},
      {"Binomial",
       "a fractional total_count",
       [] {
         (void)distributions::Binomial::from_probs(tensor({2.5}, kFloat64),
                                                   tensor({0.5}, kFloat64));
       },
       {"Binomial: total_count must be a non-negative whole number"}},
      {"NegativeBinomial",
       "probability 1",
       [] {
         (void)distributions::NegativeBinomial::from_probs(tensor({2.0}, kFloat64),
                                                           tensor({1.0}, kFloat64));
       },
       {"NegativeBinomial: probs must be in [0, 1)"}},
      {"Multinomial",
       "a negative total_count",
       [] {
         (void)distributions::Multinomial::from_probs(-2, tensor({0.5, 0.5}, kFloat64));
       },
       {"Multinomial: total_count must be in [0, 2^31 - 1], got -2"}},
      {"ContinuousBernoulli",
       "lims around a point other than 1/2",
       [] {
         (void)distributions::ContinuousBernoulli::from_probs(tensor({0.3}, kFloat64), {0.6, 0.7});
       },
       {"ContinuousBernoulli: lims must satisfy 0 < lims.first < 1/2 < lims.second < 1"}},
      {"VonMises",
       "a zero concentration",
       [] { (void)distributions::VonMises(tensor({0.0}, kFloat64), tensor({0.0}, kFloat64)); },
       {"VonMises: concentration must be positive"}},
      {"FisherSnedecor",
       "a negative df2",
       [] {
         (void)distributions::FisherSnedecor(tensor({1.0}, kFloat64), tensor({-1.0}, kFloat64));
       },
       {"FisherSnedecor: df2 must be positive"}},
      {"LogisticNormal",
       "a zero scale",
       [] { (void)distributions::LogisticNormal(f64({2}), zeros({2}, kFloat64)); },
       {"LogisticNormal: scale must be positive"}},
      {"stick_breaking",
       "a 0-d tensor",
       [] { (void)distributions::stick_breaking(zeros({}, kFloat64)); },
       {"stick_breaking: x must have a last dim to break along, got a 0-d tensor"}},
      {"stick_breaking_inverse",
       "an integer tensor",
       [] { (void)distributions::stick_breaking_inverse(zeros({3}, kInt64)); },
       {"stick_breaking_inverse"}},
      {"LowRankMultivariateNormal",
       "a cov_factor of another event size",
       [] {
         (void)distributions::LowRankMultivariateNormal(f64({3}), f64({2, 1}), f64({3}) + 2.0);
       },
       {"LowRankMultivariateNormal: cov_factor must be [*, 3, m] for loc shape [3], got shape "
        "[2, 1]"}},
      {"MultivariateNormal",
       "covariance of another size",
       [] {
         (void)distributions::MultivariateNormal::from_covariance(f64({2}), eye(3, -1, kFloat64));
       },
       {"MultivariateNormal: covariance_matrix must be [*, 2, 2] for loc shape [2], got shape "
        "[3, 3]"}},
      {"embedding_bag",
       "offsets that do not start at 0",
       [] {
         (void)embedding_bag(zeros({4}, kInt64), f32({5, 2}), tensor({1.0, 2.0}, {2}, kInt64));
       },
       {"embedding_bag: offsets[0] must be 0 (the first bag starts at the first entry), got 1"}},
      {"pad_sequence",
       "no sequences",
       [] { (void)nn::utils::rnn::pad_sequence({}); },
       {"pad_sequence: expected at least one sequence"}},
      {"pack_padded_sequence",
       "a length longer than the padded batch",
       [] {
         (void)nn::utils::rnn::pack_padded_sequence(f32({3, 2, 1}), {4, 1});
       },
       {"pack_padded_sequence: length 4 of sequence 0 is outside [1, 3]"}},
      {"pad_packed_sequence",
       "batch sizes that do not add up to the data",
       [] {
         nn::utils::rnn::PackedSequence packed{
             f32({3, 2}), tensor({2.0, 2.0}, {2}, kInt64), {}, {}};
         (void)nn::utils::rnn::pad_packed_sequence(packed);
       },
       {"pad_packed_sequence: batch_sizes sum to 4 rows but data has shape [3, 2]"}},
      {"pack_sequence",
       "an empty sequence",
       [] {
         (void)nn::utils::rnn::pack_sequence({f32({2, 3}), f32({0, 3})});
       },
       {"pack_padded_sequence: length 0 of sequence 1 is outside [1, 2]"}},
      {"packed_lengths",
       "undefined batch sizes",
       [] {
         (void)nn::utils::rnn::packed_lengths({f32({3, 2}), {}, {}, {}});
       },
       {"packed_lengths: expected a PackedSequence with data [sum of lengths, *] and int64 "
        "batch_sizes [T]"}},
      {"EmbeddingBag",
       "padding_idx outside the table",
       [] { nn::EmbeddingBag bag(5, 2, {.padding_idx = 5}); },
       {"EmbeddingBag: padding_idx 5 must be within num_embeddings 5"}},
  };
}

}  // namespace metagrad::testing
