// Packing, the tile loop and the finishing of the AMX backend, written once
// and included twice by kernels/amx_distance.cc (no include guard): inside
// namespace `model` over a scalar model of the tile registers, and inside
// namespace `hardware`, within the AVX-512/AMX target region, over the tile
// instructions. The includer defines, in the enclosing namespace:
//   struct Tiles {
//     static void Begin();  // LDTILECFG: palette 1, 8 tiles of 16 x 64 bytes
//     static void End();    // TILERELEASE
//     static void Zero(int tile);
//     static void Load(int tile, const void* data, size_t stride_bytes);
//     static void Store(int tile, void* data, size_t stride_bytes);
//     // accumulator tile 4 + 2 * row + column += A tile `row` . B tile 2 + `column`
//     template <DType> static void Dot(int accumulator);
//     // out[16 * unit + row] = 4-byte unit `unit` of row `row` (0 past `rows`)
//     static void Transpose(const uint8_t* in, size_t stride, size_t rows, uint32_t* out);
//   };
// and, above both includes, the shared definitions (TileTraits, constants,
// AlignedBuffer, InverseNorm, ClampCosineDistance).

// Packs columns [0, rows) of B (rows of b, `stride` bytes apart), depth
// tiles [first_tile, first_tile + tiles), into column tiles of 16 B rows:
// tile (column tile c, depth tile t) at packed + (c * tiles + t) * 256 words.
inline void PackColumns(const uint8_t* b, size_t stride, size_t rows, size_t row_bytes,
                        size_t first_tile, size_t tiles, uint32_t* packed) {
  alignas(64) uint8_t edge[kTileRows * kTileRowBytes];
  for (size_t c = 0; c * kTileRows < rows; ++c) {
    const size_t tile_rows = std::min(kTileRows, rows - c * kTileRows);
    const uint8_t* column = b + c * kTileRows * stride;
    for (size_t t = 0; t < tiles; ++t) {
      const size_t begin = (first_tile + t) * kTileRowBytes;
      const size_t bytes = std::min(kTileRowBytes, row_bytes - begin);
      uint32_t* out = packed + (c * tiles + t) * kTileWords;
      if (bytes == kTileRowBytes) {
        Tiles::Transpose(column + begin, stride, tile_rows, out);
      } else {  // the row's end: zero-padded, so that padding adds nothing
        std::memset(edge, 0, sizeof(edge));
        for (size_t r = 0; r < tile_rows; ++r) {
          std::memcpy(edge + r * kTileRowBytes, column + r * stride + begin, bytes);
        }
        Tiles::Transpose(edge, kTileRowBytes, tile_rows, out);
      }
    }
  }
}

// One kRows x kCols block of 16 x 16 results (kRows, kCols in {1, 2}) over
// `tiles` depth tiles: A rows from `a` (`a_stride` bytes apart, 16 more rows
// 16 strides on), packed B column tiles from `b` (the next column tile
// `tiles` tiles on). Results to `sums`, 32 x 32 values of 4 bytes.
template <DType kDType, int kRows, int kCols>
void MultiplyBlock(const uint8_t* a, size_t a_stride, const uint32_t* b, size_t tiles,
                   void* sums) {
  const uint8_t* a_lower = a + kTileRows * a_stride;
  const uint32_t* b_right = b + tiles * kTileWords;
  Tiles::Zero(4);
  if (kCols == 2) Tiles::Zero(5);
  if (kRows == 2) Tiles::Zero(6);
  if (kRows == 2 && kCols == 2) Tiles::Zero(7);
  // Each load just before the first product that needs it: tiles are not
  // renamed, so a load waits for the products still reading its tile, and
  // the next step's loads overlap this step's last products.
  for (size_t t = 0; t < tiles; ++t) {
    Tiles::Load(0, a + t * kTileRowBytes, a_stride);
    Tiles::Load(2, b + t * kTileWords, kTileRowBytes);
    Tiles::template Dot<kDType>(4);
    if (kCols == 2) {
      Tiles::Load(3, b_right + t * kTileWords, kTileRowBytes);
      Tiles::template Dot<kDType>(5);
    }
    if (kRows == 2) {
      Tiles::Load(1, a_lower + t * kTileRowBytes, a_stride);
      Tiles::template Dot<kDType>(6);
      if (kCols == 2) Tiles::template Dot<kDType>(7);
    }
  }
  auto* out = static_cast<uint8_t*>(sums);
  constexpr size_t kStride = kBlockSide * 4;
  Tiles::Store(4, out, kStride);
  if (kCols == 2) Tiles::Store(5, out + kTileRowBytes, kStride);
  if (kRows == 2) Tiles::Store(6, out + kTileRows * kStride, kStride);
  if (kRows == 2 && kCols == 2) Tiles::Store(7, out + kTileRows * kStride + kTileRowBytes, kStride);
}

// Calls visit(i, rows, j, cols, sums, sums_stride) with the sums of rows
// [i, i + rows) of a against rows [j, j + cols) of b (exact for bytes), for
// blocks of up to 32 x 32 covering a's rows [row_begin, row_end) against b's
// rows [col_begin, col_end), each row's columns in increasing order. The
// sums are the tiles' own (TileTraits::Raw) where the depth is one block,
// else added up in TileTraits::Sum.
//
// B is packed in chunks of columns that stay in L2 while every block of a's
// rows passes over them, so memory stays bounded for any n. The depth is
// split into blocks of kBlockTiles tiles, whose 4-byte tile sums cannot
// wrap (bytes) and are added in Sum (int64 or double); rows longer than
// one block keep their partial sums per chunk column (1/256 of a's size).
template <DType kDType, typename Visit>
void ForEachBlock(const MatrixView& a, size_t row_begin, size_t row_end, const MatrixView& b,
                  size_t col_begin, size_t col_end, const Visit& visit) {
  using Raw = typename TileTraits<kDType>::Raw;
  using Sum = typename TileTraits<kDType>::Sum;
  const size_t element = dtype_size(kDType);
  const size_t row_bytes = a.cols * element;
  const size_t a_stride = a.row_stride * element, b_stride = b.row_stride * element;
  const size_t depth_tiles = (row_bytes + kTileRowBytes - 1) / kTileRowBytes;
  const size_t blocks = (depth_tiles + kBlockTiles - 1) / kBlockTiles;
  const size_t widest = std::min(depth_tiles, kBlockTiles);
  // No wider than b's columns: the packed buffer is zeroed per call, and a
  // whole chunk's for 64 columns took 80 % of a 64 x 64 x 128 cdist.
  const size_t chunk_cols = std::min(
      std::max(kBlockSide, kChunkBytes / (widest * kTileRowBytes) / kBlockSide * kBlockSide),
      (col_end - col_begin + kBlockSide - 1) / kBlockSide * kBlockSide);
  // A rows go to the tiles in place when each is a whole number of tile rows
  // and a block has 16 or 32 of them; otherwise through a zero-padded copy.
  const bool a_whole_rows = row_bytes % kTileRowBytes == 0;

  AlignedBuffer<uint32_t> packed(chunk_cols / kTileRows * widest * kTileWords);
  AlignedBuffer<uint8_t> a_copy(kBlockSide * widest * kTileRowBytes);
  std::vector<Sum> partial(blocks > 1 ? (row_end - row_begin) * chunk_cols : 0);
  alignas(64) Raw tile_sums[kBlockSide * kBlockSide];

  const auto* a_bytes = static_cast<const uint8_t*>(a.data);
  const auto* b_bytes = static_cast<const uint8_t*>(b.data);
  Tiles::Begin();
  for (size_t chunk = col_begin; chunk < col_end; chunk += chunk_cols) {
    const size_t chunk_end = std::min(col_end, chunk + chunk_cols);
    for (size_t block = 0; block < blocks; ++block) {
      const size_t first_tile = block * kBlockTiles;
      const size_t tiles = std::min(kBlockTiles, depth_tiles - first_tile);
      const size_t depth_begin = first_tile * kTileRowBytes;
      PackColumns(b_bytes + chunk * b_stride, b_stride, chunk_end - chunk, row_bytes, first_tile,
                  tiles, packed.data());
      for (size_t i = row_begin; i < row_end; i += kBlockSide) {
        const size_t rows = std::min(kBlockSide, row_end - i);
        const uint8_t* a_tiles = a_bytes + i * a_stride + depth_begin;
        size_t a_tiles_stride = a_stride;
        if (!a_whole_rows || (rows != kBlockSide && rows != kTileRows)) {
          const size_t width = tiles * kTileRowBytes;
          const size_t copied = std::min(width, row_bytes - depth_begin);
          for (size_t r = 0; r < kBlockSide; ++r) {
            uint8_t* row = a_copy.data() + r * width;
            const size_t bytes = r < rows ? copied : 0;
            if (bytes != 0) std::memcpy(row, a_tiles + r * a_stride, bytes);
            std::memset(row + bytes, 0, width - bytes);
          }
          a_tiles = a_copy.data();
          a_tiles_stride = width;
        }
        for (size_t j = chunk; j < chunk_end; j += kBlockSide) {
          const size_t cols = std::min(kBlockSide, chunk_end - j);
          const uint32_t* b_tiles = packed.data() + (j - chunk) / kTileRows * tiles * kTileWords;
          if (rows > kTileRows) {
            if (cols > kTileRows) {
              MultiplyBlock<kDType, 2, 2>(a_tiles, a_tiles_stride, b_tiles, tiles, tile_sums);
            } else {
              MultiplyBlock<kDType, 2, 1>(a_tiles, a_tiles_stride, b_tiles, tiles, tile_sums);
            }
          } else if (cols > kTileRows) {
            MultiplyBlock<kDType, 1, 2>(a_tiles, a_tiles_stride, b_tiles, tiles, tile_sums);
          } else {
            MultiplyBlock<kDType, 1, 1>(a_tiles, a_tiles_stride, b_tiles, tiles, tile_sums);
          }
          if (blocks == 1) {
            visit(i, rows, j, cols, static_cast<const Raw*>(tile_sums), kBlockSide);
            continue;
          }
          Sum* sums = partial.data() + (i - row_begin) * chunk_cols + (j - chunk);
          for (size_t r = 0; r < rows; ++r) {
            Sum* row = sums + r * chunk_cols;
            const Raw* raw = tile_sums + r * kBlockSide;
            if (block == 0) {
              for (size_t c = 0; c < cols; ++c) row[c] = static_cast<Sum>(raw[c]);
            } else {
              for (size_t c = 0; c < cols; ++c) row[c] += static_cast<Sum>(raw[c]);
            }
          }
          if (block + 1 == blocks) visit(i, rows, j, cols, static_cast<const Sum*>(sums), chunk_cols);
        }
      }
    }
  }
  Tiles::End();
}

// ForEachBlock with the sides' roles chosen by their lengths: its B side is
// packed (transposed, a chunk at a time) on every call while its A side is
// read in place, so the shorter side is the one packed (cdist; topk orients
// its blocks itself, without the transposition). visit still receives rows
// of `a` against columns of `b`, a swapped block transposed through a
// 32 x 32 buffer, and each row of `a` still sees b's columns in order.
template <DType kDType, typename Visit>
void ForEachPairBlock(const MatrixView& a, size_t row_begin, size_t row_end, const MatrixView& b,
                      size_t col_begin, size_t col_end, const Visit& visit) {
  if (col_end - col_begin <= row_end - row_begin) {
    ForEachBlock<kDType>(a, row_begin, row_end, b, col_begin, col_end, visit);
    return;
  }
  ForEachBlock<kDType>(b, col_begin, col_end, a, row_begin, row_end,
                       [&](size_t i, size_t rows, size_t j, size_t cols, const auto* sums,
                           size_t stride) {
                         using Value = std::remove_cv_t<std::remove_pointer_t<decltype(sums)>>;
                         alignas(64) Value transposed[kBlockSide * kBlockSide];
                         for (size_t r = 0; r < rows; ++r) {
                           for (size_t c = 0; c < cols; ++c) {
                             transposed[c * kBlockSide + r] = sums[r * stride + c];
                           }
                         }
                         visit(j, cols, i, rows, static_cast<const Value*>(transposed), kBlockSide);
                       });
}

// The sum of term(i) over i < n in 4 chains of a 64-byte vector's worth of
// Lane lanes (four AVX-512 vectors in flight), each lane's partial sums of at
// most kLaneTerms terms added into double lanes, the double lanes added in a
// fixed order (pairwise): the model and the hardware copy agree bit for bit, and a float
// lane's error is bounded independently of n, as the Highway kernels' are.
template <typename Lane, typename Term>
double LaneSum(size_t n, const Term& term) {
  constexpr size_t kLanes = 64 / sizeof(Lane), kChains = 4, kStep = kLanes * kChains;
  constexpr size_t kLaneTerms = 128;
  double totals[kChains][kLanes] = {};
  size_t i = 0;
  while (i + kStep <= n) {
    Lane lanes[kChains][kLanes] = {};
    for (size_t terms = 0; terms < kLaneTerms && i + kStep <= n; ++terms, i += kStep) {
      for (size_t chain = 0; chain < kChains; ++chain) {
        for (size_t l = 0; l < kLanes; ++l) lanes[chain][l] += term(i + chain * kLanes + l);
      }
    }
    for (size_t chain = 0; chain < kChains; ++chain) {
      for (size_t l = 0; l < kLanes; ++l) totals[chain][l] += lanes[chain][l];
    }
  }
  for (; i < n; ++i) totals[0][i % kLanes] += term(i);
  // Pairwise, as vectors: one long chain of scalar additions cost as much as
  // the sums of a 768-element row.
  double lanes[kLanes];
  for (size_t l = 0; l < kLanes; ++l) {
    lanes[l] = (totals[0][l] + totals[1][l]) + (totals[2][l] + totals[3][l]);
  }
  for (size_t width = kLanes / 2; width > 0; width /= 2) {
    for (size_t l = 0; l < width; ++l) lanes[l] += lanes[l + width];
  }
  return lanes[0];
}

// A row's sum of squares: exact for bytes (uint32 over blocks that cannot
// wrap, then int64), in double for bfloat16 (whose squares are exact in
// double).
template <DType kDType>
typename TileTraits<kDType>::Sum RowSquare(const typename TileTraits<kDType>::Element* row,
                                           size_t n) {
  if constexpr (kDType == DType::kBFloat16) {
    // Not LaneSum: GCC 12 vectorizes this form of one row, not that one.
    constexpr size_t kLanes = 16;
    double lanes[kLanes] = {};
    size_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
      for (size_t l = 0; l < kLanes; ++l) {
        const double value = BFloat16Value(row[i + l]);
        lanes[l] += value * value;
      }
    }
    for (; i < n; ++i) {
      const double value = BFloat16Value(row[i]);
      lanes[i % kLanes] += value * value;
    }
    double total = 0.0;
    for (size_t l = 0; l < kLanes; ++l) total += lanes[l];
    return total;
  } else {
    // Widened to int16 a block at a time: GCC makes squares of int16 added
    // in pairs into int32 (vpmaddwd) of this form, but of bytes widened to
    // int32 it makes vpmulld, at a quarter of the pace. A block's sum,
    // kExactSquaresBlock * 255^2, fits int32; an integer sum may be split
    // into lanes in any order.
    int64_t total = 0;
    size_t i = 0;
    for (; i + kExactSquaresBlock <= n; i += kExactSquaresBlock) {
      int16_t wide[kExactSquaresBlock];
      for (size_t e = 0; e < kExactSquaresBlock; ++e) wide[e] = row[i + e];
      int32_t block = 0;
      for (size_t e = 0; e < kExactSquaresBlock; ++e) block += wide[e] * wide[e];
      total += block;
    }
    for (; i < n; ++i) total += int32_t{row[i]} * int32_t{row[i]};
    return total;
  }
}

// sum((a_i - b_i)^2) of two bfloat16 rows as the Highway kernels sum it:
// differences and squares in float32 lanes (LaneSum's bound), at twice the
// pace of double lanes (a row of near duplicates recomputes every pair).
inline double BFloat16SquaredDifference(const uint16_t* a, const uint16_t* b, size_t n) {
  return LaneSum<float>(n, [a, b](size_t i) {
    const float difference = BFloat16Value(a[i]) - BFloat16Value(b[i]);
    return difference * difference;
  });
}

// Whether a bfloat16 row holds an element the tiles do not multiply as the
// reference does: a subnormal (TDPBF16PS flushes it to zero) or an infinity
// or NaN (whose product with a flushed element is NaN, not +-Inf).
inline bool HasFlushedOrNonFinite(const uint16_t* row, size_t n) {
  uint32_t found = 0;  // a count, not a bool: GCC 12 vectorizes sums, not ors
  for (size_t i = 0; i < n; ++i) {
    const uint32_t exponent = row[i] & 0x7F80u, mantissa = row[i] & 0x7Fu;
    found += (exponent == 0x7F80u || (exponent == 0 && mantissa != 0)) ? 1u : 0u;
  }
  return found != 0;
}

// What Finishing needs of one side's rows: each row's RowSquare (unless
// dot), its inverse norm (cosine), and for bfloat16 how many rows before each
// HasFlushedOrNonFinite, in special_before (rows + 1 counts: whether a block
// of columns has one is one subtraction). Filled in row order by
// ScanThrough, so that the side that streams from memory (topk's rows of x)
// is scanned a block at a time just after the tiles read it, from cache,
// rather than in a pass over memory of its own (a sixth of a bfloat16
// topk's time).
template <DType kDType>
class RowScan {
 public:
  using Sum = typename TileTraits<kDType>::Sum;
  static constexpr bool kBFloat16 = kDType == DType::kBFloat16;

  RowScan(Metric metric, const MatrixView& view) : view_(view) {
    if (metric != Metric::kDot) squares.resize(view.rows);
    if (metric == Metric::kCosine) inverse_norms.resize(view.rows);
    if constexpr (kBFloat16) special_before.assign(view.rows + 1, 0);
  }

  // Scans the rows before `end` not scanned yet.
  void ScanThrough(size_t end) {
    using Element = typename TileTraits<kDType>::Element;
    const auto* data = static_cast<const Element*>(view_.data);
    for (; scanned_ < end; ++scanned_) {
      const size_t r = scanned_;
      const Element* row = data + r * view_.row_stride;
      if (!squares.empty()) squares[r] = RowSquare<kDType>(row, view_.cols);
      if (!inverse_norms.empty()) inverse_norms[r] = InverseNorm(squares[r]);
      if constexpr (kBFloat16) {
        special_before[r + 1] =
            special_before[r] + (HasFlushedOrNonFinite(row, view_.cols) ? 1 : 0);
      }
    }
  }

  // Such rows' pairs are summed again in double (bfloat16: their tile sums
  // can be wrong by more than any rounding).
  bool Special(size_t r) const { return special_before[r + 1] != special_before[r]; }
  bool AnySpecial(size_t r, size_t count) const {
    return special_before[r + count] != special_before[r];
  }

  std::vector<Sum> squares;
  std::vector<double> inverse_norms;
  std::vector<uint32_t> special_before;

 private:
  MatrixView view_;
  size_t scanned_ = 0;
};

// What cdist and topk finish their sums with: per-row inverse norms
// (cosine) or squares (sqeuclidean, euclidean) of a's and b's rows, from
// their RowScans (which must have scanned the rows asked for).
template <DType kDType>
struct Finishing {
  using Sum = typename TileTraits<kDType>::Sum;
  static constexpr bool kBFloat16 = kDType == DType::kBFloat16;
  Metric metric;
  MatrixView a, b;
  const RowScan<kDType>& a_rows;
  const RowScan<kDType>& b_rows;
  // bfloat16 sqeuclidean's norm form (NormFormRow): gamma(2d + 4).
  double norm_form_gamma = 0.0;
  // Cosine scales by b's inverse norm first: b holds the queries, which the
  // Highway path scales by first (topk with x's rows as a).
  bool b_norm_first = false;

  Finishing(Metric metric_, const MatrixView& a_, const RowScan<kDType>& a_rows_,
            const MatrixView& b_, const RowScan<kDType>& b_rows_, bool b_norm_first_ = false)
      : metric(metric_), a(a_), b(b_), a_rows(a_rows_), b_rows(b_rows_),
        b_norm_first(b_norm_first_) {
    if constexpr (kBFloat16) {
      const double terms = 2.0 * static_cast<double>(a.cols) + 4.0;
      norm_form_gamma = terms * 0x1p-24 / (1.0 - terms * 0x1p-24);
    }
  }

  // out[c] = the metric of a's row i and b's row j + c, for c < cols, from
  // their sums of products; the arithmetic of the Highway path
  // (FinishTileSum in kernels/distance_common.h), rounded as it is: both
  // translation units are compiled with -ffp-contract=off, so cosine's
  // 1 - (sum / |a|) / |b| is a multiply, a multiply and a subtraction on
  // every target and compiler. So int8/uint8 results are identical to that
  // path's.
  template <typename Value>  // TileTraits' Raw or Sum
  void Row(size_t i, size_t j, size_t cols, const Value* sums, float* out) const {
    switch (metric) {
      case Metric::kCosine:
        for (size_t c = 0; c < cols; ++c) out[c] = Cosine(i, j + c, static_cast<double>(sums[c]));
        break;
      case Metric::kSqEuclidean:
      case Metric::kEuclidean:
        if constexpr (std::is_integral_v<Sum>) {
          // |a|^2 + |b|^2 - 2ab is exact in int64: the sum of (a - b)^2.
          const Sum a_square = a_rows.squares[i];
          const Sum* b_square = b_rows.squares.data() + j;
          const bool root = metric == Metric::kEuclidean;
          for (size_t c = 0; c < cols; ++c) {
            const double value =
                static_cast<double>(a_square + b_square[c] - 2 * static_cast<Sum>(sums[c]));
            out[c] = static_cast<float>(root ? std::sqrt(value) : value);
          }
        } else {
          NormFormRow(i, j, cols, sums, out);
        }
        break;
      default:
        for (size_t c = 0; c < cols; ++c) out[c] = static_cast<float>(static_cast<double>(sums[c]));
        break;
    }
    if constexpr (kBFloat16) {
      const bool a_row_special = a_rows.Special(i);
      if (!a_row_special && !b_rows.AnySpecial(j, cols)) return;
      for (size_t c = 0; c < cols; ++c) {
        if (a_row_special || b_rows.Special(j + c)) out[c] = Recomputed(i, j + c);
      }
    }
  }

 private:
  float Cosine(size_t i, size_t j, double sum) const {
    const double a_inverse_norm = a_rows.inverse_norms[i];
    const double b_inverse_norm = b_rows.inverse_norms[j];
    const double first = b_norm_first ? b_inverse_norm : a_inverse_norm;
    const double second = b_norm_first ? a_inverse_norm : b_inverse_norm;
    return ClampCosineDistance(static_cast<float>(1.0 - (sum * first) * second));
  }

  const uint16_t* RowOf(const MatrixView& view, size_t r) const {
    return static_cast<const uint16_t*>(view.data) + r * view.row_stride;
  }

  // The metric of a's row i and b's row j summed again from the rows: dot
  // products in double (bfloat16 products are exact there), squared
  // differences as the Highway kernels sum them (BFloat16SquaredDifference).
  float Recomputed(size_t i, size_t j) const {
    const uint16_t* a_row = RowOf(a, i);
    const uint16_t* b_row = RowOf(b, j);
    if (metric == Metric::kSqEuclidean || metric == Metric::kEuclidean) {
      const double value = BFloat16SquaredDifference(a_row, b_row, a.cols);
      return static_cast<float>(metric == Metric::kEuclidean ? std::sqrt(value) : value);
    }
    const double dot = LaneSum<double>(a.cols, [a_row, b_row](size_t e) {
      return double{BFloat16Value(a_row[e])} * double{BFloat16Value(b_row[e])};
    });
    return metric == Metric::kCosine ? Cosine(i, j, dot) : static_cast<float>(dot);
  }

  // bfloat16 sqeuclidean/euclidean from the tiles' dot products, as the
  // Highway panels finish float sqeuclidean (docs/distance.md, Error bounds).
  // With S = |a|^2 + |b|^2, 2ab is within gamma(2d + 4) S of exact (the
  // backend's dot bound, with sum|a_i b_i| <= S / 2), plus what TDPBF16PS's
  // flushing to zero can lose where no element is subnormal: products and
  // partial sums below 2^-126 each, twice per element, 2^-124 d for 2ab. A
  // value at least (1 + 1/rho) times the whole bound is kept, within rho =
  // 2^-12 of the exact one; any other (NaN and infinities too) is summed
  // again from (a - b)^2 (Recomputed).
  template <typename Value>
  void NormFormRow(size_t i, size_t j, size_t cols, const Value* sums, float* out) const {
    constexpr double kKeep = 1.0 + 0x1p12;
    const double relative = norm_form_gamma * kKeep;
    const double flushed = 0x1p-124 * static_cast<double>(a.cols) * kKeep;
    const bool root = metric == Metric::kEuclidean;
    const double a_square = a_rows.squares[i];
    const auto kept = [&](size_t c, double& value) {
      const double norms = a_square + b_rows.squares[j + c];
      value = norms - 2.0 * static_cast<double>(sums[c]);
      return value >= relative * norms + flushed && value < HUGE_VAL;
    };
    // Selects and a count, no call: the loop vectorizes; the few values
    // that cannot be kept are replaced after it.
    // euclidean's root in float32: within one rounding of the double root's,
    // at twice its pace (a double root costs a fifth of the call).
    uint32_t recompute = 0;
    for (size_t c = 0; c < cols; ++c) {
      double value;
      recompute += kept(c, value) ? 0u : 1u;
      const float squared = static_cast<float>(value);
      out[c] = root ? std::sqrt(squared) : squared;
    }
    if (recompute == 0) return;
    for (size_t c = 0; c < cols; ++c) {
      double value;
      if (!kept(c, value)) out[c] = Recomputed(i, j + c);
    }
  }
};

template <DType kDType>
void Cdist(Metric metric, const MatrixView& a, const MatrixView& b, float* out, size_t out_stride,
           size_t threads) {
  RowScan<kDType> a_rows(metric, a), b_rows(metric, b);
  a_rows.ScanThrough(a.rows);
  b_rows.ScanThrough(b.rows);
  const Finishing<kDType> finishing(metric, a, a_rows, b, b_rows);
  // Threads split b's rows: each packs only its own columns (or, when they
  // outnumber a's, all of a).
  ParallelRows(threads, b.rows, a.rows * b.rows * a.cols, [&](size_t begin, size_t end) {
    ForEachPairBlock<kDType>(a, 0, a.rows, b, begin, end,
                             [&](size_t i, size_t rows, size_t j, size_t cols, const auto* sums,
                                 size_t stride) {
                               for (size_t r = 0; r < rows; ++r) {
                                 finishing.Row(i + r, j, cols, sums + r * stride,
                                               out + (i + r) * out_stride + j);
                               }
                             });
  });
}

// Whether any of `values` (in index order after every candidate so far)
// would enter `list`: mostly none, once the list is full, and a vectorized
// test of the block then replaces a comparison per value.
inline bool AnyCanEnter(const TopKList<float>& list, Metric metric, const float* values,
                        size_t count) {
  const float threshold = list.Threshold();
  const bool larger_first = larger_is_closer(metric);
  uint32_t entering = 0;  // a count, not a bool: GCC 12 vectorizes sums, not ors
  for (size_t c = 0; c < count; ++c) {
    entering += TopKList<float>::MayEnter(values[c], threshold, larger_first) ? 1u : 0u;
  }
  return entering != 0;
}

// Flags whether each of `values` may enter the list of its column's query,
// whose thresholds are `thresholds`: a loop the compiler vectorizes, then the
// flags 8 at a time, so that a row of 32 values of which none may enter
// (most rows, once the lists are full) costs a few vector instructions, and
// one that has some visits only those.
template <typename Visit>
void ForEachEntering(const float* values, const float* thresholds, size_t count,
                     bool larger_first, const Visit& visit) {
  alignas(8) uint8_t flags[kBlockSide] = {};
  for (size_t c = 0; c < count; ++c) {
    flags[c] = TopKList<float>::MayEnter(values[c], thresholds[c], larger_first) ? 1 : 0;
  }
  for (size_t word = 0; word * 8 < count; ++word) {
    uint64_t bits;
    std::memcpy(&bits, flags + word * 8, 8);
    for (; bits != 0; bits &= bits - 1) visit(word * 8 + __builtin_ctzll(bits) / 8);
  }
}

template <DType kDType>
void TopK(Metric metric, const MatrixView& queries, const MatrixView& x, size_t k,
          int64_t* indices, float* distances, size_t threads) {
  const bool larger_first = larger_is_closer(metric);
  // More rows of x than queries: the queries are the packed side (see
  // ForEachPairBlock) and each block's rows are rows of x, finished against
  // every query at once and compared with each query's threshold, so that
  // nothing is transposed. Cosine still scales by the query's norm first.
  const bool x_rows_in_blocks = x.rows > queries.rows;
  RowScan<kDType> query_rows(metric, queries);
  query_rows.ScanThrough(queries.rows);
  // Threads split the queries: each keeps its queries' lists, which see
  // their candidates in index order, and scans x's rows as its blocks reach
  // them (each thread all of them: from cache, where one scan before the
  // threads start would read x from memory once more, on one core).
  ParallelRows(threads, queries.rows, queries.rows * x.rows * queries.cols,
               [&](size_t begin, size_t end) {
    std::vector<TopKList<float>> lists(end - begin, TopKList<float>(k, metric));
    float values[kBlockSide];
    RowScan<kDType> x_rows(metric, x);
    if (x_rows_in_blocks) {
      const Finishing<kDType> finishing(metric, x, x_rows, queries, query_rows,
                                        /*b_norm_first=*/true);
      std::vector<float> thresholds(end - begin, std::numeric_limits<float>::quiet_NaN());
      ForEachBlock<kDType>(x, 0, x.rows, queries, begin, end,
                           [&](size_t i, size_t rows, size_t j, size_t cols, const auto* sums,
                               size_t stride) {
                             x_rows.ScanThrough(i + rows);
                             float* threshold = thresholds.data() + (j - begin);
                             for (size_t r = 0; r < rows; ++r) {
                               finishing.Row(i + r, j, cols, sums + r * stride, values);
                               ForEachEntering(values, threshold, cols, larger_first,
                                               [&](size_t c) {
                                 TopKList<float>& list = lists[j + c - begin];
                                 list.Offer(values + c, 1, i + r);
                                 threshold[c] = list.Threshold();
                               });
                             }
                           });
    } else {
      x_rows.ScanThrough(x.rows);  // x is the short side here
      const Finishing<kDType> finishing(metric, queries, query_rows, x, x_rows);
      ForEachBlock<kDType>(queries, begin, end, x, 0, x.rows,
                           [&](size_t i, size_t rows, size_t j, size_t cols, const auto* sums,
                               size_t stride) {
                             for (size_t r = 0; r < rows; ++r) {
                               finishing.Row(i + r, j, cols, sums + r * stride, values);
                               TopKList<float>& list = lists[i + r - begin];
                               if (AnyCanEnter(list, metric, values, cols)) {
                                 list.OfferInIndexOrder(values, cols, j);
                               }
                             }
                           });
    }
    for (size_t q = begin; q < end; ++q) lists[q - begin].Write(indices + q * k, distances + q * k);
  });
}

inline void CdistOf(Metric metric, const MatrixView& a, const MatrixView& b, float* out,
                    size_t out_stride, size_t threads) {
  switch (a.dtype) {
    case DType::kBFloat16: return Cdist<DType::kBFloat16>(metric, a, b, out, out_stride, threads);
    case DType::kInt8: return Cdist<DType::kInt8>(metric, a, b, out, out_stride, threads);
    case DType::kUInt8: return Cdist<DType::kUInt8>(metric, a, b, out, out_stride, threads);
    default: throw std::invalid_argument("simdkit: the AMX backend does not take this dtype");
  }
}

inline void TopKOf(Metric metric, const MatrixView& queries, const MatrixView& x, size_t k,
                   int64_t* indices, float* distances, size_t threads) {
  switch (queries.dtype) {
    case DType::kBFloat16:
      return TopK<DType::kBFloat16>(metric, queries, x, k, indices, distances, threads);
    case DType::kInt8: return TopK<DType::kInt8>(metric, queries, x, k, indices, distances, threads);
    case DType::kUInt8:
      return TopK<DType::kUInt8>(metric, queries, x, k, indices, distances, threads);
    default: throw std::invalid_argument("simdkit: the AMX backend does not take this dtype");
  }
}
