// The LSTM's arithmetic for one instruction set: compiled three times by `npm run native`
// (ISA = avx512, avx2, baseline; VW = floats per vector: 16, 8, 4). GCC's vector extensions
// become that set's registers; no intrinsics, so one source serves all three.
//
// Matrix products are register tiles of MR rows by NV vectors of columns, accumulated with
// fused multiply-adds over the shared dimension in blocks of KC (so both operands stay in the
// core's caches). Sigmoid and tanh use a polynomial exp (Cephes' expf: relative error ~1e-7)
// on whole vectors; tanh(z) = 2·sigmoid(2z) - 1.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernel.h"

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

#if !defined(ISA) || !defined(VW) || !defined(MR) || !defined(NV)
#error "compile with -DISA=<namespace> -DVW=<floats per vector> -DMR=<tile rows> -DNV=<tile vectors>"
#endif

namespace lstm {
namespace ISA {
namespace {

typedef float vf __attribute__((vector_size(VW * 4)));
typedef int vi __attribute__((vector_size(VW * 4)));

constexpr int KC = 256;  // the shared dimension's block

// Loads and stores: vectors (unaligned) and, for the last columns of a row, plain floats.
template <class V> inline V ld(const float* p);
template <> inline vf ld<vf>(const float* p) {
  vf v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <> inline float ld<float>(const float* p) { return *p; }
inline void st(float* p, vf v) { std::memcpy(p, &v, sizeof v); }
inline void st(float* p, float v) { *p = v; }

inline vf splat(float s) { return vf{} + s; }

inline vf expOf(vf x) {
  x = x > 88.3f ? splat(88.3f) : x;
  x = x < -87.3f ? splat(-87.3f) : x;  // 2^n stays a normal float
  const vf magic = splat(12582912.0f);  // 1.5 * 2^23: adding it rounds to an integer
  const vf t = x * 1.44269504088896341f + magic;
  const vf n = t - magic;
  const vi ni = (vi)t - (vi)magic;
  const vf r = x - n * 0.693359375f - n * -2.12194440e-4f;
  vf p = splat(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  return p * (vf)((ni + 127) << 23);
}
inline float expOf(float x) { return std::exp(std::min(88.3f, std::max(-87.3f, x))); }

template <class V> inline V sigmoid(V z) { return 1.0f / (1.0f + expOf(-z)); }
template <class V> inline V tanhOf(V z) { return 2.0f * sigmoid(z + z) - 1.0f; }

// C[M x NV*VW] (+)= op(A)[M x K] · B[K x NV*VW]; op(A)(r, k) = A[r*lda + k], or A[k*lda + r] if AT.
template <int M, int N, bool AT>
inline void tile(int K, const float* __restrict A, long lda, const float* __restrict B, long ldb, float* C, long ldc,
                 bool accumulate) {
  vf c[M][N];
#pragma GCC unroll 16
  for (int r = 0; r < M; r++)
#pragma GCC unroll 8
    for (int v = 0; v < N; v++) c[r][v] = accumulate ? ld<vf>(C + r * ldc + v * VW) : vf{};
  for (int k = 0; k < K; k++) {
    vf b[N];
#pragma GCC unroll 8
    for (int v = 0; v < N; v++) b[v] = ld<vf>(B + k * ldb + v * VW);
#pragma GCC unroll 16
    for (int r = 0; r < M; r++) {
      const vf a = splat(AT ? A[k * lda + r] : A[r * lda + k]);
#pragma GCC unroll 8
      for (int v = 0; v < N; v++) c[r][v] += a * b[v];
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < M; r++)
#pragma GCC unroll 8
    for (int v = 0; v < N; v++) st(C + r * ldc + v * VW, c[r][v]);
}

// The rows left over after whole tiles: one tile of exactly `m` (< MR) rows.
template <int R, int N, bool AT>
inline void edgeTile(int m, int K, const float* A, long lda, const float* B, long ldb, float* C, long ldc, bool acc) {
  if constexpr (R > 0) {
    if (m == R) return tile<R, N, AT>(K, A, lda, B, ldb, C, ldc, acc);
    edgeTile<R - 1, N, AT>(m, K, A, lda, B, ldb, C, ldc, acc);
  }
}

// Every row of one block of N vectors of columns.
template <int N, bool AT>
void columnBlock(int M, int K, const float* A, long lda, const float* B, long ldb, float* C, long ldc, bool acc) {
  int r = 0;
  for (; r + MR <= M; r += MR) tile<MR, N, AT>(K, AT ? A + r : A + r * lda, lda, B, ldb, C + r * ldc, ldc, acc);
  if (r < M) edgeTile<MR - 1, N, AT>(M - r, K, AT ? A + r : A + r * lda, lda, B, ldb, C + r * ldc, ldc, acc);
}

// C[M x N] (+)= op(A)[M x K] · B[K x N], all row-major with leading dimensions lda, ldb, ldc.
template <bool AT>
void gemm(int M, int N, int K, const float* A, long lda, const float* B, long ldb, float* C, long ldc, bool accumulate) {
  for (int k0 = 0; k0 < K; k0 += KC) {
    const int kc = std::min(KC, K - k0);
    const bool acc = accumulate || k0 > 0;
    const float* a = AT ? A + k0 * lda : A + k0;
    const float* b = B + k0 * ldb;
    int n = 0;
    for (; n + NV * VW <= N; n += NV * VW) columnBlock<NV, AT>(M, kc, a, lda, b + n, ldb, C + n, ldc, acc);
    for (; n + VW <= N; n += VW) columnBlock<1, AT>(M, kc, a, lda, b + n, ldb, C + n, ldc, acc);
    for (; n < N; n++) {  // fewer columns than one vector: plain loops
      for (int r = 0; r < M; r++) {
        float sum = acc ? C[r * ldc + n] : 0.0f;
        for (int k = 0; k < kc; k++) sum += (AT ? a[k * lda + r] : a[r * lda + k]) * b[k * ldb + n];
        C[r * ldc + n] = sum;
      }
    }
  }
}

// Calls body(V{}, j) for j over [0, n): whole vectors, then single floats.
template <class F> inline void overUnits(int n, F&& body) {
  int j = 0;
  for (; j + VW <= n; j += VW) body(vf{}, j);
  for (; j < n; j++) body(0.0f, j);
}

inline long slot(const Saved& s, int t) { return t % s.steps; }

void forward(const Shape& s, const float* x, const float* w, const float* bias, const Saved& sv, float* hSeq,
             float* hLast, int r0, int r1) {
  const int T = s.T, D = s.D, U = s.U, K = s.K(), G = 4 * U, M = r1 - r0;
  const long base = static_cast<long>(r0) * sv.steps;  // this range's rows: see Saved
  for (int t = 0; t < T; t++) {
    const long here = slot(sv, t);
    float* xh = sv.xh + (base + here * M) * K;
    float* z = sv.z + (base + here * M) * G;
    float* c = sv.c + (base + here * M) * U;
    float* tc = sv.tc + (base + here * M) * U;
    const float* cPrev = t > 0 ? sv.c + (base + slot(sv, t - 1) * M) * U : nullptr;
    float* xhNext = t + 1 < T ? sv.xh + (base + slot(sv, t + 1) * M) * K : nullptr;
    for (int r = 0; r < M; r++) {
      std::memcpy(xh + r * K, x + (static_cast<long>(r0 + r) * T + t) * D, sizeof(float) * D);
      if (t == 0) std::memset(xh + r * K + D, 0, sizeof(float) * U);
      std::memcpy(z + r * G, bias, sizeof(float) * G);
    }
    gemm<false>(M, G, t == 0 ? D : K, xh, K, w, G, z, G, true);  // h_{-1} = 0: its rows are skipped
    for (int r = 0; r < M; r++) {
      float* zr = z + r * G;
      float* cr = c + r * U;
      float* tcr = tc + r * U;
      const float* cp = cPrev ? cPrev + r * U : nullptr;
      float* hNext = xhNext ? xhNext + r * K + D : nullptr;
      float* hs = hSeq ? hSeq + (static_cast<long>(r0 + r) * T + t) * U : nullptr;
      float* hl = hLast && t == T - 1 ? hLast + static_cast<long>(r0 + r) * U : nullptr;
      overUnits(U, [&](auto zero, int j) {
        using V = decltype(zero);
        const V i = sigmoid(ld<V>(zr + j)), f = sigmoid(ld<V>(zr + U + j));
        const V g = tanhOf(ld<V>(zr + 2 * U + j)), o = sigmoid(ld<V>(zr + 3 * U + j));
        const V cNew = cp ? f * ld<V>(cp + j) + i * g : i * g;
        const V tcNew = tanhOf(cNew);
        const V h = o * tcNew;
        st(zr + j, i);
        st(zr + U + j, f);
        st(zr + 2 * U + j, g);
        st(zr + 3 * U + j, o);
        st(cr + j, cNew);
        st(tcr + j, tcNew);
        if (hNext) st(hNext + j, h);
        if (hs) st(hs + j, h);
        if (hl) st(hl + j, h);
      });
    }
  }
}

void backward(const Shape& s, const float* whT, const Saved& sv, const float* dhLast, const float* dhSeq,
              float* scratch, int r0, int r1) {
  const int T = s.T, U = s.U, G = 4 * U, M = r1 - r0;
  const long base = static_cast<long>(r0) * sv.steps;
  float* dhRec = scratch;        // [M][U]: dL/dh_t through h_{t+1}'s gates
  float* dc = scratch + M * U;   // [M][U]: dL/dc_t through c_{t+1}
  std::memset(scratch, 0, sizeof(float) * 2 * M * U);
  for (int t = T - 1; t >= 0; t--) {
    float* z = sv.z + (base + static_cast<long>(t) * M) * G;
    const float* tc = sv.tc + (base + static_cast<long>(t) * M) * U;
    const float* cPrev = t > 0 ? sv.c + (base + static_cast<long>(t - 1) * M) * U : nullptr;
    for (int r = 0; r < M; r++) {
      float* zr = z + r * G;
      const float* tcr = tc + r * U;
      const float* cp = cPrev ? cPrev + r * U : nullptr;
      float* dhr = dhRec + r * U;
      float* dcr = dc + r * U;
      const float* ds = dhSeq ? dhSeq + (static_cast<long>(r0 + r) * T + t) * U : nullptr;
      const float* dl = dhLast && t == T - 1 ? dhLast + static_cast<long>(r0 + r) * U : nullptr;
      overUnits(U, [&](auto zero, int j) {
        using V = decltype(zero);
        V dh = ld<V>(dhr + j);
        if (ds) dh = dh + ld<V>(ds + j);
        if (dl) dh = dh + ld<V>(dl + j);
        const V i = ld<V>(zr + j), f = ld<V>(zr + U + j), g = ld<V>(zr + 2 * U + j), o = ld<V>(zr + 3 * U + j);
        const V tcv = ld<V>(tcr + j);
        const V dcT = ld<V>(dcr + j) + dh * o * (1.0f - tcv * tcv);
        st(zr + j, dcT * g * i * (1.0f - i));
        st(zr + U + j, cp ? dcT * ld<V>(cp + j) * f * (1.0f - f) : zero);
        st(zr + 2 * U + j, dcT * i * (1.0f - g * g));
        st(zr + 3 * U + j, dh * tcv * o * (1.0f - o));
        st(dcr + j, dcT * f);
      });
    }
    if (t > 0) gemm<false>(M, U, G, z, G, whT, U, dhRec, U, false);  // dL/dh_{t-1} = dz_t · U^T
  }
}

void weightGrads(const Shape& s, const Saved& sv, float* dw, float* dbias, int r0, int r1) {
  const int K = s.K(), G = 4 * s.U;
  const long first = static_cast<long>(r0) * sv.steps, rows = static_cast<long>(r1 - r0) * sv.steps;
  gemm<true>(K, G, static_cast<int>(rows), sv.xh + first * K, K, sv.z + first * G, G, dw, G, false);
  std::memset(dbias, 0, sizeof(float) * G);
  for (long r = first; r < first + rows; r++) {
    const float* zr = sv.z + r * G;
    overUnits(G, [&](auto zero, int j) {
      using V = decltype(zero);
      st(dbias + j, ld<V>(dbias + j) + ld<V>(zr + j));
    });
  }
}

void inputGrads(const Shape& s, const Saved& sv, const float* wxT, float* dx, int r0, int r1) {
  const int T = s.T, D = s.D, G = 4 * s.U, M = r1 - r0;
  const long base = static_cast<long>(r0) * sv.steps;
  for (int t = 0; t < T; t++) {
    gemm<false>(M, D, G, sv.z + (base + static_cast<long>(t) * M) * G, G, wxT, D,
                dx + (static_cast<long>(r0) * T + t) * D, static_cast<long>(T) * D, false);
  }
}

}  // namespace

extern const Kernels kernels = {
    STRINGIFY(ISA), forward, backward, weightGrads, inputGrads, MR,
};

}  // namespace ISA
}  // namespace lstm
