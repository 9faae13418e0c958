// The LSTM over a whole sequence, forward and backward, on the CPU: the shared declarations.
// kernel.cc is compiled once per instruction set (AVX-512, AVX2, baseline x86-64) into its own
// namespace; addon.cc picks one at load time and splits each call over threads.
#pragma once
#include <cstddef>

namespace lstm {

// x [B][T][D] (batch-major, as tfjs gives it); units U; gates i, f, c, o as tf.layers.lstm.
struct Shape {
  int B, T, D, U;
  int K() const { return D + U; }  // the width of a step's input row [x_t, h_{t-1}]
};

// What the forward pass keeps for the backward pass. Each thread's range of rows [r0, r1) has
// its own block, time-major within it: row r of step t is at (r0 * steps + t * (r1 - r0) + r - r0).
// (Interleaving the threads' rows step by step made each thread ~30% slower: writes next to the
// other thread's lines.) The backward pass must use the forward pass's ranges. With `steps` = 2
// (inference) the buffers hold two steps and are indexed by t % 2.
struct Saved {
  float* xh;  // [steps][B][D+U]: x_t, then h_{t-1}
  float* z;   // [steps][B][4U]: the gates after their activations; the backward pass overwrites them with dL/dz
  float* c;   // [steps][B][U]: cell state c_t
  float* tc;  // [steps][B][U]: tanh(c_t)
  int steps;
};

struct Kernels {
  const char* name;
  // Rows [r0, r1) of the batch through all T steps. w [D+U][4U] (kernel rows, then recurrent
  // rows), bias [4U]. hSeq [B][T][U] if not null; hLast [B][U] if not null.
  void (*forward)(const Shape&, const float* x, const float* w, const float* bias, const Saved&, float* hSeq,
                  float* hLast, int r0, int r1);
  // Rows [r0, r1): back through time from dhLast [B][U] and/or dhSeq [B][T][U] (either may be
  // null), overwriting saved.z with dL/dz. whT [4U][U] is the recurrent kernel transposed; scratch
  // holds 3 * (r1 - r0) * U floats.
  void (*backward)(const Shape&, const float* whT, const Saved&, const float* dhLast, const float* dhSeq,
                   float* scratch, int r0, int r1);
  // The part of dL/dw [D+U][4U] and dL/dbias [4U] from rows [r0, r1) of the batch (every step),
  // from saved.xh and dL/dz: each thread sums its own rows, then the parts are added.
  void (*weightGrads)(const Shape&, const Saved&, float* dw, float* dbias, int r0, int r1);
  // Rows [r0, r1) of dL/dx [B][T][D] = dL/dz · kernel^T; wxT [4U][D].
  void (*inputGrads)(const Shape&, const Saved&, const float* wxT, float* dx, int r0, int r1);
  int rowBlock;  // rows per register tile: split the batch in multiples of it
};

namespace avx512 { extern const Kernels kernels; }
namespace avx2 { extern const Kernels kernels; }
namespace baseline { extern const Kernels kernels; }

}  // namespace lstm
