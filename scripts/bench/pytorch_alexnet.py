#!/usr/bin/env python3
"""PyTorch's side of `pnpm bench:train`: AlexNet V1 / V2 training and inference images/s on the CPU.

Run with Debian's PyTorch (apt-get install python3-torch libopenblas0):

    /usr/bin/python3 scripts/bench/pytorch_alexnet.py --model alexnet_v2 --batch-size 32 --steps 3

Builds the same architecture as @alexnet/models (LRN 5 / 1e-4 / 0.75 / 2 after conv1 and conv2, 227x227 input), times
SGD steps (momentum 0.9, weight decay 5e-4) and eval-mode forward passes after one warm-up each, and prints one JSON
line: { model, batchSize, threads, train: { imagesPerSecond }, forward: { imagesPerSecond }, peakRssMB }.
"""
import argparse
import json
import resource
import time

import torch
import torch.nn as nn

WIDTHS = {'alexnet_v1': (96, 256, 384, 384, 256), 'alexnet_v2': (64, 192, 384, 384, 256)}


def alexnet(name, classes=1000):
    c1, c2, c3, c4, c5 = WIDTHS[name]

    def lrn():
        return nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)

    return nn.Sequential(
        nn.Conv2d(3, c1, 11, stride=4, padding=2), nn.ReLU(inplace=True), lrn(), nn.MaxPool2d(3, 2),
        nn.Conv2d(c1, c2, 5, padding=2), nn.ReLU(inplace=True), lrn(), nn.MaxPool2d(3, 2),
        nn.Conv2d(c2, c3, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(c3, c4, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(c4, c5, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
        nn.Flatten(),
        nn.Dropout(0.5), nn.Linear(c5 * 36, 4096), nn.ReLU(inplace=True),
        nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
        nn.Linear(4096, classes),
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--model', default='alexnet_v2', choices=sorted(WIDTHS))
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--steps', type=int, default=3)
    parser.add_argument('--image-size', type=int, default=227)
    parser.add_argument('--threads', type=int, default=0, help='torch.set_num_threads; 0 keeps the default')
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = alexnet(args.model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.randn(args.batch_size, 3, args.image_size, args.image_size)
    y = torch.randint(0, 1000, (args.batch_size,))

    def train_step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()

    def timed(fn):
        fn()  # warm-up: allocations, OpenBLAS threads
        start = time.perf_counter()
        for _ in range(args.steps):
            fn()
        return args.steps * args.batch_size / (time.perf_counter() - start)

    model.train()
    train = timed(train_step)
    model.eval()
    with torch.no_grad():
        forward = timed(lambda: model(x))
    print(json.dumps({
        'engine': 'pytorch',
        'version': torch.__version__,
        'model': args.model,
        'batchSize': args.batch_size,
        'threads': torch.get_num_threads(),
        'train': {'imagesPerSecond': round(train, 2)},
        'forward': {'imagesPerSecond': round(forward, 2)},
        'peakRssMB': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }))


if __name__ == '__main__':
    main()
