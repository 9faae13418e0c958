// The project's LSTM kernel as a Node-API addon: the whole sequence forward and backward in one
// call each, split over threads by batch rows (rows of a batch never meet inside an LSTM, so the
// threads share nothing until the weight gradients). Built by `npm run native`; used by
// src/kernels/native/lstm-addon.ts on the tensorflow backend.
//
// JavaScript sees (Float32Arrays throughout; results go into arrays the caller passes in):
//   forward(x, kernel, recurrentKernel, bias, [B, T, D, U], keep, h) -> state | undefined
//   backward(state, dhLast | null, dhSeq | null, dw, dbias)
//   inputGradient(state, dx)
//   release(state), setThreads(n), threads(), liveStates(), isa
// A state holds what the backward pass needs (13 MB for the tutorial's model); release() keeps
// its memory for the next forward pass.
#define NAPI_VERSION 8
#include <node_api.h>
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kernel.h"

namespace {

using lstm::Kernels;
using lstm::Saved;
using lstm::Shape;

const Kernels& pickKernels() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) return lstm::avx512::kernels;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return lstm::avx2::kernels;
  return lstm::baseline::kernels;
}
const Kernels& K = pickKernels();

// Threads that wait for work; the calling thread always does part 0 itself. Created on first use
// from the calling thread, so they inherit its signal mask (src/signal-guard.ts blocks the
// signals libtensorflow's threads must not take; these do not take them either). Never
// destroyed.
//
// Waking a sleeping thread took 0.05-3 ms on the 2-core VMs here (its virtual CPU halts when
// idle), against ~2 ms of work per part. So a worker that finishes keeps polling for the next
// call for kSpin before it sleeps on the condition variable: a training step's calls come about
// 1-2 ms apart (forward, then the loss and the dense layer; backward, then Adam), and a worker
// that polls yields its core to any other runnable thread (sched_yield). The caller, whose part
// ends about when the workers' do, polls for them the same way.
class Workers {
 public:
  void run(int parts, const std::function<void(int)>& job) {
    if (parts <= 1) return job(0);
    std::lock_guard<std::mutex> one(calls_);  // one call at a time (Node workers share the addon)
    {
      std::lock_guard<std::mutex> lock(m_);
      while (static_cast<int>(threads_) < parts - 1) {
        std::thread([this, id = threads_] { loop(id + 1); }).detach();
        threads_++;
      }
      job_ = &job;
      parts_ = parts;
      remaining_.store(parts - 1);
      generation_.fetch_add(1);
    }
    wake_.notify_all();
    job(0);
    if (!pollUntil([this] { return remaining_.load() == 0; })) {
      std::unique_lock<std::mutex> lock(m_);
      done_.wait(lock, [this] { return remaining_.load() == 0; });
    }
    job_ = nullptr;
  }

 private:
  static constexpr auto kSpin = std::chrono::milliseconds(5);

  // Polls `ready` for up to kSpin; true once it holds.
  template <class F> static bool pollUntil(F&& ready) {
    const auto until = std::chrono::steady_clock::now() + kSpin;
    for (unsigned i = 0;; i++) {
      if (ready()) return true;
      if ((i & 63) == 63) {
        if (std::chrono::steady_clock::now() > until) return false;
        sched_yield();
      }
    }
  }

  void loop(int part) {
    pthread_setname_np(pthread_self(), "rnn-lstm");  // what /proc/<pid>/task/*/comm and top show
    unsigned seen = 0;
    for (;;) {
      if (!pollUntil([&] { return generation_.load() != seen; })) {
        std::unique_lock<std::mutex> lock(m_);
        wake_.wait(lock, [&] { return generation_.load() != seen; });
      }
      const std::function<void(int)>* job;
      int parts;
      {
        std::lock_guard<std::mutex> lock(m_);  // job_ and parts_ are set under it with the generation
        seen = generation_.load();
        job = job_;
        parts = parts_;
      }
      if (part >= parts) continue;
      (*job)(part);
      if (remaining_.fetch_sub(1) == 1) {
        std::lock_guard<std::mutex> lock(m_);
        done_.notify_one();
      }
    }
  }
  std::mutex calls_, m_;
  std::condition_variable wake_, done_;
  const std::function<void(int)>* job_ = nullptr;
  std::atomic<unsigned> generation_{0};
  unsigned threads_ = 0;
  int parts_ = 0;
  std::atomic<int> remaining_{0};
};
Workers& workers = *new Workers();  // never destroyed: detached threads use it until exit

int cpuCount() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}
int threadLimit = cpuCount();

// Memory for states and scratch, kept by size after use: a training step asks for the same sizes
// every time, and fresh memory costs a page fault per 4 KB (measured ~15 us each on a 2-core VM,
// 300-400 a step: a third of the step) where reused memory costs nothing. Up to 64 MB is kept,
// and always the last block given back, however large.
class Spares {
 public:
  float* take(size_t floats) {
    {
      std::lock_guard<std::mutex> lock(m_);
      for (auto it = free_.begin(); it != free_.end(); ++it) {
        if (it->first == floats) {
          float* p = it->second;
          bytes_ -= floats * sizeof(float);
          free_.erase(it);
          return p;
        }
      }
    }
    void* p = std::aligned_alloc(64, (floats * sizeof(float) + 63) / 64 * 64);
    if (p == nullptr) throw std::bad_alloc();
    return static_cast<float*>(p);
  }
  void give(size_t floats, float* p) {
    std::lock_guard<std::mutex> lock(m_);
    free_.emplace_back(floats, p);
    bytes_ += floats * sizeof(float);
    while (bytes_ > kKeepBytes && free_.size() > 1) {  // the oldest go first
      bytes_ -= free_.front().first * sizeof(float);
      std::free(free_.front().second);
      free_.erase(free_.begin());
    }
  }

 private:
  static constexpr size_t kKeepBytes = 64u << 20;
  std::mutex m_;
  std::vector<std::pair<size_t, float*>> free_;
  size_t bytes_ = 0;
};
Spares& spares = *new Spares();  // never destroyed: states may be finalized during exit

// Memory from `spares` for the length of a call.
struct Borrowed {
  explicit Borrowed(size_t floats) : n(floats), p(spares.take(floats)) {}
  ~Borrowed() { spares.give(n, p); }
  Borrowed(const Borrowed&) = delete;
  Borrowed& operator=(const Borrowed&) = delete;
  const size_t n;
  float* const p;
};

struct State {
  Shape shape;
  std::vector<std::pair<int, int>> rows;  // each thread's batch rows: the layout of `saved` (kernel.h)
  size_t floats = 0;
  float* memory = nullptr;  // one block: saved, then w, whT, scratch, partial sums; null once released
  Saved saved{};
  float *w = nullptr, *whT = nullptr, *scratch = nullptr, *partial = nullptr;
};

// out [cols][rows] = in [rows][cols] transposed.
void transpose(const float* in, size_t rows, size_t cols, float* out) {
  for (size_t r = 0; r < rows; r++)
    for (size_t c = 0; c < cols; c++) out[c * rows + r] = in[r * cols + c];
}

// Splits [0, n) into at most `parts` ranges whose starts are multiples of `unit`.
std::vector<std::pair<int, int>> split(int n, int unit, int parts) {
  const int blocks = (n + unit - 1) / unit;
  parts = std::max(1, std::min(parts, blocks));
  std::vector<std::pair<int, int>> out;
  for (int p = 0; p < parts; p++) {
    const int a = std::min(n, blocks * p / parts * unit), b = std::min(n, blocks * (p + 1) / parts * unit);
    if (b > a) out.emplace_back(a, b);
  }
  return out;
}

using Ranges = std::vector<std::pair<int, int>>;

void inParallel(const Ranges& ranges, const std::function<void(int, int)>& body) {
  workers.run(static_cast<int>(ranges.size()), [&](int p) { body(ranges[p].first, ranges[p].second); });
}

// --- Node-API glue ---

struct Failure {
  std::string message;
};

void check(napi_env env, napi_status status) {
  if (status == napi_ok) return;
  const napi_extended_error_info* info = nullptr;
  napi_get_last_error_info(env, &info);
  throw Failure{std::string("lstm addon: ") + (info && info->error_message ? info->error_message : "Node-API call failed")};
}

// A Float32Array argument's data and length; null for null/undefined when `optional`.
float* floats(napi_env env, napi_value v, size_t* length, const char* what, bool optional = false) {
  napi_valuetype type;
  check(env, napi_typeof(env, v, &type));
  if (optional && (type == napi_null || type == napi_undefined)) return nullptr;
  bool isTyped = false;
  check(env, napi_is_typedarray(env, v, &isTyped));
  napi_typedarray_type kind;
  void* data = nullptr;
  if (isTyped) check(env, napi_get_typedarray_info(env, v, &kind, length, &data, nullptr, nullptr));
  if (!isTyped || kind != napi_float32_array) throw Failure{std::string("lstm addon: ") + what + " must be a Float32Array"};
  return static_cast<float*>(data);
}

// A Float32Array the caller passes in for a result: exactly n floats. The caller owns it and
// may fill it again on the next call (src/kernels/native/lstm-addon.ts copies each result into
// a tensor first), so a training step allocates no result memory.
float* output(napi_env env, napi_value v, size_t n, const char* what) {
  size_t length = 0;
  float* p = floats(env, v, &length, what);
  if (length != n) throw Failure{std::string("lstm addon: ") + what + " must hold " + std::to_string(n) + " floats"};
  return p;
}

std::atomic<int> liveStates{0};  // states handed to JavaScript and not yet released

void releaseState(napi_env env, State* s) {
  if (s->memory == nullptr) return;
  liveStates--;
  spares.give(s->floats, s->memory);
  int64_t ignored;
  napi_adjust_external_memory(env, -static_cast<int64_t>(s->floats * sizeof(float)), &ignored);
  s->memory = nullptr;
}

void finalize(napi_env env, void* data, void*) {
  State* s = static_cast<State*>(data);
  releaseState(env, s);
  delete s;
}

State* stateOf(napi_env env, napi_value v) {
  napi_valuetype type;
  check(env, napi_typeof(env, v, &type));
  void* data = nullptr;
  if (type != napi_external || napi_get_value_external(env, v, &data) != napi_ok || data == nullptr) {
    throw Failure{"lstm addon: expected a state from forward()"};
  }
  State* s = static_cast<State*>(data);
  if (s->memory == nullptr) throw Failure{"lstm addon: this forward pass's state was already released"};
  return s;
}

template <size_t N> void args(napi_env env, napi_callback_info info, napi_value (&out)[N]) {
  size_t n = N;
  check(env, napi_get_cb_info(env, info, &n, out, nullptr, nullptr));
  if (n < N) throw Failure{"lstm addon: expected " + std::to_string(N) + " arguments"};
}

template <class F> napi_value guarded(napi_env env, F&& f) {
  try {
    return f();
  } catch (const Failure& e) {
    napi_throw_error(env, nullptr, e.message.c_str());
  } catch (const std::bad_alloc&) {
    napi_throw_error(env, nullptr, "lstm addon: out of memory");
  }
  return nullptr;
}

// forward(x, kernel, recurrentKernel, bias, [B, T, D, U], keep, h) -> state | undefined; h is
// [B][U] (the last step) or [B][T][U] (every step), as its length says.
napi_value Forward(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    napi_value a[7];
    args(env, info, a);
    int32_t dims[4];
    for (uint32_t i = 0; i < 4; i++) {
      napi_value d;
      check(env, napi_get_element(env, a[4], i, &d));
      check(env, napi_get_value_int32(env, d, &dims[i]));
      if (dims[i] < 1) throw Failure{"lstm addon: every dimension must be at least 1"};
    }
    bool keep = false;
    check(env, napi_get_value_bool(env, a[5], &keep));
    const Shape s{dims[0], dims[1], dims[2], dims[3]};
    const size_t B = s.B, T = s.T, D = s.D, U = s.U, G = 4 * U, Kw = s.K();
    size_t nx, nk, nr, nb;
    const float* x = floats(env, a[0], &nx, "x");
    const float* kernel = floats(env, a[1], &nk, "kernel");
    const float* recurrent = floats(env, a[2], &nr, "recurrentKernel");
    const float* bias = floats(env, a[3], &nb, "bias");
    if (nx != B * T * D || nk != D * G || nr != U * G || nb != G) {
      throw Failure{"lstm addon: x, kernel, recurrentKernel or bias does not have the size [B, T, D, U] says"};
    }
    auto state = std::make_unique<State>();
    state->shape = s;
    state->rows = split(s.B, K.rowBlock, threadLimit);
    const size_t steps = keep ? T : std::min<size_t>(2, T), parts = state->rows.size();
    const size_t savedFloats = steps * B * (Kw + G + 2 * U);
    const size_t backwardFloats = keep ? G * U + 3 * B * U + (parts - 1) * (Kw + 1) * G : 0;
    state->floats = savedFloats + Kw * G + backwardFloats;
    state->memory = spares.take(state->floats);
    float* m = state->memory;
    state->saved = Saved{m, m + steps * B * Kw, m + steps * B * (Kw + G), m + steps * B * (Kw + G + U),
                         static_cast<int>(steps)};
    state->w = m + savedFloats;  // [kernel; recurrentKernel]: one product per step for [x_t, h_{t-1}]
    std::memcpy(state->w, kernel, sizeof(float) * D * G);
    std::memcpy(state->w + D * G, recurrent, sizeof(float) * U * G);
    state->whT = state->w + Kw * G;
    state->scratch = state->whT + G * U;
    state->partial = state->scratch + 3 * B * U;
    size_t nh = 0;
    float* h = floats(env, a[6], &nh, "h");
    const bool sequence = nh == B * T * U;
    if (!sequence && nh != B * U) throw Failure{"lstm addon: h must hold B*U or B*T*U floats"};
    inParallel(state->rows, [&](int r0, int r1) {
      K.forward(s, x, state->w, bias, state->saved, sequence ? h : nullptr, sequence ? nullptr : h, r0, r1);
    });
    napi_value handle;
    if (!keep) {
      spares.give(state->floats, state->memory);  // never counted as external memory
      check(env, napi_get_undefined(env, &handle));
      return handle;
    }
    int64_t ignored;
    napi_adjust_external_memory(env, static_cast<int64_t>(state->floats * sizeof(float)), &ignored);
    State* owned = state.release();
    liveStates++;
    if (napi_create_external(env, owned, finalize, nullptr, &handle) != napi_ok) {
      finalize(env, owned, nullptr);
      throw Failure{"lstm addon: could not hand the state to JavaScript"};
    }
    return handle;
  });
}

// backward(state, dhLast | null, dhSeq | null, dw [D+U][4U], dbias [4U])
napi_value Backward(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    napi_value a[5];
    args(env, info, a);
    State* st = stateOf(env, a[0]);
    const Shape s = st->shape;
    const size_t B = s.B, T = s.T, U = s.U, G = 4 * U, Kw = s.K();
    size_t nl = 0, ns = 0;
    const float* dhLast = floats(env, a[1], &nl, "dhLast", true);
    const float* dhSeq = floats(env, a[2], &ns, "dhSeq", true);
    if ((dhLast && nl != B * U) || (dhSeq && ns != B * T * U)) {
      throw Failure{"lstm addon: the upstream gradient does not have the output's size"};
    }
    transpose(st->w + s.D * G, U, G, st->whT);  // the recurrent kernel's rows of w
    float* dw = output(env, a[3], Kw * G, "dw");
    float* dbias = output(env, a[4], G, "dbias");
    // Each thread goes back through time for its rows and then sums its rows' part of the weight
    // gradients, with no wait between; part 0 writes straight into the result.
    workers.run(static_cast<int>(st->rows.size()), [&](int p) {
      const auto [r0, r1] = st->rows[p];
      K.backward(s, st->whT, st->saved, dhLast, dhSeq, st->scratch + 3 * static_cast<size_t>(r0) * U, r0, r1);
      float* into = p == 0 ? dw : st->partial + (p - 1) * (Kw + 1) * G;
      K.weightGrads(s, st->saved, into, p == 0 ? dbias : into + Kw * G, r0, r1);
    });
    for (size_t p = 1; p < st->rows.size(); p++) {
      const float* from = st->partial + (p - 1) * (Kw + 1) * G;
      for (size_t i = 0; i < Kw * G; i++) dw[i] += from[i];
      for (size_t i = 0; i < G; i++) dbias[i] += from[Kw * G + i];
    }
    return nullptr;
  });
}

// inputGradient(state, dx [B][T][D]), after backward
napi_value InputGradient(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    napi_value a[2];
    args(env, info, a);
    State* st = stateOf(env, a[0]);
    const Shape s = st->shape;
    const size_t G = 4 * static_cast<size_t>(s.U), D = s.D;
    const Borrowed wxT(G * D);
    float* t = wxT.p;  // the input kernel transposed: [4U][D]
    transpose(st->w, D, G, t);
    float* dx = output(env, a[1], static_cast<size_t>(s.B) * s.T * D, "dx");
    inParallel(st->rows, [&](int r0, int r1) { K.inputGrads(s, st->saved, t, dx, r0, r1); });
    return nullptr;
  });
}

napi_value Release(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    napi_value a[1];
    args(env, info, a);
    void* data = nullptr;
    if (napi_get_value_external(env, a[0], &data) == napi_ok && data != nullptr) {
      releaseState(env, static_cast<State*>(data));
    }
    return nullptr;
  });
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    napi_value a[1];
    args(env, info, a);
    int32_t n;
    check(env, napi_get_value_int32(env, a[0], &n));
    threadLimit = n >= 1 ? n : cpuCount();
    napi_value out;
    check(env, napi_create_int32(env, threadLimit, &out));
    return out;
  });
}

napi_value LiveStates(napi_env env, napi_callback_info) {
  return guarded(env, [&]() -> napi_value {
    napi_value out;
    check(env, napi_create_int32(env, liveStates.load(), &out));
    return out;
  });
}

napi_value Threads(napi_env env, napi_callback_info) {
  return guarded(env, [&]() -> napi_value {
    napi_value out;
    check(env, napi_create_int32(env, threadLimit, &out));
    return out;
  });
}

napi_value Init(napi_env env, napi_value exports) {
  return guarded(env, [&]() -> napi_value {
    const std::pair<const char*, napi_callback> fns[] = {
        {"forward", Forward}, {"backward", Backward}, {"inputGradient", InputGradient},
        {"release", Release}, {"setThreads", SetThreads}, {"threads", Threads},
        {"liveStates", LiveStates},
    };
    for (const auto& [name, fn] : fns) {
      napi_value f;
      check(env, napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, nullptr, &f));
      check(env, napi_set_named_property(env, exports, name, f));
    }
    napi_value isa;
    check(env, napi_create_string_utf8(env, K.name, NAPI_AUTO_LENGTH, &isa));
    check(env, napi_set_named_property(env, exports, "isa", isa));
    return exports;
  });
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
