"""The tutorial's model in the peer frameworks, timed as scripts/bench.ts times ours.

`npm run bench -- --peers` runs this with a Python that has PyTorch and/or TensorFlow:
[128, 28, 28] -> LSTM(128) -> dense(10), softmax cross-entropy, Adam(0.001); one training step
(forward, backward, update) and one inference batch, medians of the timed steps after warm-up.
Prints one JSON object per framework found (or the reason it was not), nothing else on stdout.

  python scripts/bench_peers.py --steps 20 --threads 2
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

BATCH, STEPS, FEATURES, UNITS, CLASSES = 128, 28, 28, 128, 10


def timing(samples):
    return {
        "medianMs": round(statistics.median(samples), 1),
        "minMs": round(min(samples), 1),
        "maxMs": round(max(samples), 1),
    }


def time_it(fn, warm_up, steps):
    for _ in range(warm_up):
        fn()
    samples = []
    for _ in range(steps):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def peak_rss_mb():
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def bench_torch(steps, threads):
    import torch

    torch.manual_seed(0)
    torch.set_num_threads(threads)

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(FEATURES, UNITS, batch_first=True)
            self.logits = torch.nn.Linear(UNITS, CLASSES)

        def forward(self, x):
            out, _ = self.lstm(x)  # [batch, steps, units]
            return self.logits(out[:, -1])

    model = Model()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    xs = torch.rand(BATCH, STEPS, FEATURES)
    ys = torch.randint(0, CLASSES, (BATCH,))

    def train_step():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(xs), ys)
        loss.backward()
        optimizer.step()
        loss.item()

    def infer_batch():
        with torch.no_grad():
            model(xs).numpy()

    train = time_it(train_step, 3, steps)
    infer = time_it(infer_batch, 3, steps)
    return {"framework": "pytorch", "version": torch.__version__, "variant": f"nn.LSTM, {threads} threads", "train": timing(train), "infer": timing(infer), "peakRssMB": peak_rss_mb()}


def bench_tensorflow(steps, threads):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    tf.random.set_seed(0)
    model = tf.keras.Sequential([tf.keras.Input((STEPS, FEATURES)), tf.keras.layers.LSTM(UNITS), tf.keras.layers.Dense(CLASSES)])
    optimizer = tf.keras.optimizers.Adam(0.001)
    xs = tf.random.uniform([BATCH, STEPS, FEATURES])
    ys = tf.one_hot(tf.random.uniform([BATCH], 0, CLASSES, dtype=tf.int32), CLASSES)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(ys, model(xs, training=True)))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    @tf.function
    def infer():
        return model(xs, training=False)

    train = time_it(lambda: step().numpy(), 3, steps)
    inference = time_it(lambda: infer().numpy(), 3, steps)
    return {"framework": "tensorflow", "version": tf.__version__, "variant": f"Keras 3 LSTM in tf.function, {threads} threads", "train": timing(train), "infer": timing(inference), "peakRssMB": peak_rss_mb()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--frameworks", default="pytorch,tensorflow")
    args = ap.parse_args()
    runners = {"pytorch": ("torch", bench_torch), "tensorflow": ("tensorflow", bench_tensorflow)}
    for name in args.frameworks.split(","):
        module, run = runners[name]
        try:
            __import__(module)
        except ImportError as e:
            print(json.dumps({"framework": name, "skipped": f"{module} not importable in {sys.executable} ({e})"}), flush=True)
            continue
        print(json.dumps(run(args.steps, args.threads)), flush=True)


if __name__ == "__main__":
    main()
