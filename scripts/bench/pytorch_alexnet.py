#!/usr/bin/env python3
"""PyTorch's side of `pnpm bench:train` (CPU) and `pnpm bench:gpu` (CUDA): AlexNet V1 / V2 training and inference
images/s, the baseline the TF.js backends are measured against.

CPU, with Debian's PyTorch (apt-get install python3-torch libopenblas0):

    /usr/bin/python3 scripts/bench/pytorch_alexnet.py --model alexnet_v2 --batch-size 32 --steps 3

CUDA (fp32 with TF32 off, then with TF32 on; V1 and V2 at batch 128 and 256):

    python3 scripts/bench/pytorch_alexnet.py --device cuda --model alexnet_v2,alexnet_v1 --batch-size 128,256 \\
        --image-size 224 --tf32 off,on

Builds the same architecture as @alexnet/models (packages/alexnet/src/architectures.ts: conv1 11/4 padding 2, LRN
after conv1 and conv2 as the paper defines it, which is LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2) in PyTorch's
terms since PyTorch divides alpha by the window, max-pool 3/2, no adaptive pooling), times SGD steps (momentum 0.9,
weight decay 5e-4, cross-entropy) and eval-mode forward passes on one fixed random batch that lives on the device, as
`alexnet bench` does. Each figure is the median of --repeats rounds of --steps steps, after --warmup steps (on CUDA:
cuDNN's autotuner runs in the warm-up; the clock is read after torch.cuda.synchronize()). Prints one JSON line per
model x batch size x TF32 setting: { engine, device, model, batchSize, train: { imagesPerSecond, rounds },
forward: {...}, peakRssMB, and on CUDA gpu, tf32, peakGpuMB: { train, forward } (torch.cuda.max_memory_allocated) }.
"""
import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn as nn

WIDTHS = {'alexnet_v1': (96, 256, 384, 384, 256), 'alexnet_v2': (64, 192, 384, 384, 256)}


def alexnet(name, image_size, classes=1000):
    c1, c2, c3, c4, c5 = WIDTHS[name]

    def lrn():
        return nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)

    # 224 -> 55 -> 27 -> 27 -> 13 -> 13 -> 6: the flattened side follows the input as in the TF.js models.
    side = (image_size + 4 - 11) // 4 + 1
    for _ in range(3):
        side = (side - 3) // 2 + 1
    return nn.Sequential(
        nn.Conv2d(3, c1, 11, stride=4, padding=2), nn.ReLU(inplace=True), lrn(), nn.MaxPool2d(3, 2),
        nn.Conv2d(c1, c2, 5, padding=2), nn.ReLU(inplace=True), lrn(), nn.MaxPool2d(3, 2),
        nn.Conv2d(c2, c3, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(c3, c4, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(c4, c5, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
        nn.Flatten(),
        nn.Dropout(0.5), nn.Linear(c5 * side * side, 4096), nn.ReLU(inplace=True),
        nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
        nn.Linear(4096, classes),
    )


def set_tf32(enabled):
    """TF32 for cuBLAS matrix products and cuDNN convolutions; returns what PyTorch reports back.

    PyTorch >= 2.9 has `fp32_precision` ('ieee' or 'tf32') and refuses a mix of it with the older `allow_tf32`
    flags, so the newer switch is used wherever it exists. cuDNN's convolutions default to TF32 *on* in every version:
    "TF32 off" has to say so for them too, not only for matmul.
    """
    matmul = torch.backends.cuda.matmul
    cudnn = torch.backends.cudnn
    if hasattr(matmul, 'fp32_precision') and hasattr(cudnn, 'conv'):
        precision = 'tf32' if enabled else 'ieee'
        matmul.fp32_precision = precision
        cudnn.conv.fp32_precision = precision
        return {'matmul': matmul.fp32_precision, 'conv': cudnn.conv.fp32_precision}
    matmul.allow_tf32 = enabled
    cudnn.allow_tf32 = enabled
    return {'matmul': 'tf32' if matmul.allow_tf32 else 'ieee', 'conv': 'tf32' if cudnn.allow_tf32 else 'ieee'}


def rates(fn, batch_size, steps, warmup, repeats, sync):
    """Images/s of each of `repeats` rounds of `steps` calls, after `warmup` calls; synchronised before each clock."""
    for _ in range(warmup):
        fn()
    sync()
    rounds = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            fn()
        sync()
        rounds.append(steps * batch_size / (time.perf_counter() - start))
    return {'imagesPerSecond': round(statistics.median(rounds), 2), 'rounds': [round(r, 2) for r in rounds]}


def measure(args, name, batch_size, device, tf32):
    cuda = device.type == 'cuda'
    settings = set_tf32(tf32) if cuda else None
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    torch.manual_seed(0)
    model = alexnet(name, args.image_size).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.randn(batch_size, 3, args.image_size, args.image_size, device=device)
    y = torch.randint(0, 1000, (batch_size,), device=device)

    def train_step():
        optimizer.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
        optimizer.step()

    peak = {}
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    model.train()
    train = rates(train_step, batch_size, args.steps, args.warmup, args.repeats, sync)
    if cuda:
        peak['train'] = round(torch.cuda.max_memory_allocated() / 2**20)
        torch.cuda.reset_peak_memory_stats()
    model.eval()
    with torch.no_grad():
        forward = rates(lambda: model(x), batch_size, args.steps, args.warmup, args.repeats, sync)
    if cuda:
        peak['forward'] = round(torch.cuda.max_memory_allocated() / 2**20)
    result = {
        'engine': 'pytorch',
        'version': torch.__version__,
        'device': device.type,
        'model': name,
        'imageSize': args.image_size,
        'batchSize': batch_size,
        'threads': torch.get_num_threads(),
        'steps': args.steps,
        'warmup': args.warmup,
        'train': train,
        'forward': forward,
        'peakRssMB': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    if cuda:
        result.update({
            'gpu': torch.cuda.get_device_name(device),
            'cuda': torch.version.cuda,
            'cudnn': torch.backends.cudnn.version(),
            'tf32': bool(tf32),
            'precision': settings,
            'peakGpuMB': peak,
        })
    del model, optimizer, x, y
    if cuda:
        torch.cuda.empty_cache()
    return result


def names(text):
    return [part.strip() for part in text.split(',') if part.strip()]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--model', default='alexnet_v2', help='comma list of ' + ', '.join(sorted(WIDTHS)))
    parser.add_argument('--batch-size', default='32', help='comma list')
    parser.add_argument('--steps', type=int, default=3, help='steps in each timed round')
    parser.add_argument('--warmup', type=int, default=None, help='untimed steps first (default 1 on CPU, 10 on CUDA)')
    parser.add_argument('--repeats', type=int, default=None, help='timed rounds, median kept (1 CPU, 3 CUDA)')
    parser.add_argument('--image-size', type=int, default=227)
    parser.add_argument('--threads', type=int, default=0, help='torch.set_num_threads; 0 keeps the default')
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--tf32', default='off', help='CUDA: comma list of off / on, each measured in turn')
    args = parser.parse_args()
    models = names(args.model)
    for name in models:
        if name not in WIDTHS:
            parser.error(f'--model: unknown model {name!r}; use {", ".join(sorted(WIDTHS))}')
    batches = [int(b) for b in names(args.batch_size)]
    tf32s = names(args.tf32)
    if any(t not in ('off', 'on') for t in tf32s):
        parser.error(f'--tf32: expected off and / or on, got {args.tf32!r}')
    if args.device == 'cuda' and not torch.cuda.is_available():
        parser.error('--device cuda: torch.cuda.is_available() is False here')
    cuda = args.device == 'cuda'
    args.warmup = args.warmup if args.warmup is not None else (10 if cuda else 1)
    args.repeats = args.repeats if args.repeats is not None else (3 if cuda else 1)
    if args.threads:
        torch.set_num_threads(args.threads)
    if cuda:
        torch.backends.cudnn.benchmark = True
    device = torch.device(args.device)
    for name in models:
        for batch_size in batches:
            for tf32 in (tf32s if cuda else ['off']):
                print(json.dumps(measure(args, name, batch_size, device, tf32 == 'on')), flush=True)


if __name__ == '__main__':
    main()
