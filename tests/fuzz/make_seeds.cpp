// Writes the seed corpora of the fuzz targets into <out>/<target>/: small valid files of each
// format, written by metagrad's own writers where it has one, plus a few corrupt variants.
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "engine/io/npy.hpp"
#include "engine/io/safetensors.hpp"
#include "engine/ops.hpp"
#include "optim/checkpoint.hpp"

namespace fs = std::filesystem;
using namespace metagrad;

namespace {

void write_text(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// Writes `variants` of the file at `path`: truncated, with a flipped byte, with bytes appended.
void corrupt_variants(const fs::path& path) {
  const std::string bytes = read_text(path);
  const std::string stem = path.filename().string();
  if (bytes.size() > 3)
    write_text(path.parent_path() / (stem + ".cut"), bytes.substr(0, bytes.size() / 2));
  std::string flipped = bytes;
  if (!flipped.empty()) flipped[flipped.size() / 3] ^= 0x5a;
  write_text(path.parent_path() / (stem + ".flip"), flipped);
  write_text(path.parent_path() / (stem + ".tail"), bytes + std::string("\0xyz", 4));
}

std::string le(uint64_t value, size_t size) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>((value >> (8 * i)) & 0xff);
  return out;
}

std::string safetensors_raw(const std::string& header, const std::string& data) {
  std::string padded = header;
  padded.append((8 - padded.size() % 8) % 8, ' ');
  return le(padded.size(), 8) + padded + data;
}

void safetensors_seeds(const fs::path& dir) {
  save_file({{"w", arange(6.0, kFloat32).reshape({2, 3})},
             {"b", arange(3.0, kFloat64)},
             {"i", arange(4.0, kInt64)},
             {"m", ones({2}, kBool)},
             {"e", zeros({0, 4})}},
            (dir / "mixed.safetensors").string(), {{"format", "pt"}, {"note", "seed"}});
  save_file({}, (dir / "empty.safetensors").string());
  write_text(dir / "f16.safetensors",
             safetensors_raw(R"({"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},)"
                             R"("u":{"dtype":"U8","shape":[2],"data_offsets":[4,6]}})",
                             std::string("\x00\x3c\x00\xc0\x07\xff", 6)));
  write_text(
      dir / "nested.safetensors",
      safetensors_raw(R"({"a":{"dtype":[[[["F32"]]]],"shape":[0],"data_offsets":[0,0]}})", ""));
  write_text(dir / "overflow.safetensors", safetensors_raw(R"({"a":1e999})", ""));
  write_text(dir / "nul.safetensors", safetensors_raw(std::string("{}\0 garbage", 11), ""));
  corrupt_variants(dir / "mixed.safetensors");
}

void npy_seeds(const fs::path& dir) {
  save_npy(arange(6.0, kFloat32).reshape({2, 3}), (dir / "f4.npy").string());
  save_npy(arange(3.0, kInt64), (dir / "i8.npy").string());
  save_npy(ones({}, kBool), (dir / "b1.npy").string());
  save_npy(zeros({0}, kFloat64), (dir / "empty.npy").string());
  const std::string dict = "{'descr': '<u2', 'fortran_order': False, 'shape': (2,), }";
  write_text(dir / "v2.npy", std::string("\x93NUMPY\x02\x00", 8) + le(dict.size() + 1, 4) + dict +
                                 "\n" + std::string("\x01\x00\xff\xff", 4));
  const std::string nested = "{'descr': [('a', '<f4'), ('b', [('c', '<i4')])], 'shape': (1,)}\n";
  write_text(dir / "structured.npy",
             std::string("\x93NUMPY\x01\x00", 8) + le(nested.size(), 2) + nested);
  corrupt_variants(dir / "f4.npy");
}

void checkpoint_seeds(const fs::path& dir) {
  OptState adam;
  adam.kind = "ScaleByAdamState";
  adam.tensors = {{"mu", {ones({2}), Tensor()}}, {"nu", {zeros({2}), Tensor()}}};
  adam.counters = {{"count", 3}};
  OptState chain;
  chain.kind = "ChainState";
  chain.children = {adam, OptState{}};
  save_state(std::vector<OptState>{chain, adam}, (dir / "two_groups.safetensors").string());
  save_state(std::vector<OptState>{}, (dir / "no_groups.safetensors").string());
  corrupt_variants(dir / "two_groups.safetensors");
}

void gzip_file(const fs::path& path, const std::string& bytes) {
  gzFile file = gzopen(path.string().c_str(), "wb");
  gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(file);
}

std::string be(uint32_t value) {
  return {static_cast<char>(value >> 24), static_cast<char>(value >> 16),
          static_cast<char>(value >> 8), static_cast<char>(value)};
}

void idx_seeds(const fs::path& dir) {
  std::string pixels;
  for (int i = 0; i < 2 * 3 * 4; ++i) pixels += static_cast<char>(i * 10);
  const std::string images = be(0x803) + be(2) + be(3) + be(4) + pixels;
  const std::string labels = be(0x801) + be(5) + std::string("\0\1\2\3\4", 5);
  gzip_file(dir / "images.gz", images);
  gzip_file(dir / "labels.gz", labels);
  write_text(dir / "images.raw", images);
  write_text(dir / "labels.raw", labels);
  corrupt_variants(dir / "images.gz");
}

void jhf_seeds(const fs::path& dir) {
  write_text(dir / "simple.jhf",
             "12345  9MWRMNV RRMVV RPSTS\n"
             "12345  2NV\n"
             "  501 16H\\KFK[ RLFL[ RHFOFRGSHTJTMSORPOQ RLQOQRRSSTUTXSZR[O[H[\n");
  write_text(dir / "wrapped.jhf",
             "12345 40KZUMQMOVNONPNSOVQXSYUYWXXVXSWPVNTMRLPL\n"
             "RNMQVQYTZWZY RUJXY\n\r\n");
  std::string many;
  for (const fs::path& font : {fs::path("/usr/share/hershey-fonts/greek.jhf")}) {
    std::error_code ec;
    if (fs::is_regular_file(font, ec)) many = read_text(font).substr(0, 4000);
  }
  if (!many.empty()) write_text(dir / "greek_head.jhf", many);
  corrupt_variants(dir / "simple.jhf");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  const fs::path out(argv[1]);
  for (const char* target : {"safetensors", "npy", "checkpoint", "idx", "jhf"})
    fs::create_directories(out / target);
  safetensors_seeds(out / "safetensors");
  npy_seeds(out / "npy");
  checkpoint_seeds(out / "checkpoint");
  idx_seeds(out / "idx");
  jhf_seeds(out / "jhf");
  return 0;
}
